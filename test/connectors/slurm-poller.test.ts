/**
 * The slurm connector's poller (src/connectors/slurm/poller.ts): one squeue
 * call per poll for every job of a deployment, each job's first state and
 * changes told to its own subscriber, a job dropped once gone. Slurm is a
 * scripted command runner here; the cluster tests run the real one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SlurmCluster, type CommandRunner, type JobState } from '../../src/connectors/slurm/index.js';
import { JobPoller } from '../../src/connectors/slurm/poller.js';

describe('one squeue poll for all of a deployment\'s jobs', () => {
  test('each job hears its first state and each change, every poll asks about all live jobs at once, and a gone job is no longer asked about', async () => {
    // What squeue lists, poll by poll (the last listing repeats).
    const listings = [
      '11|PENDING|(Priority)|\n12|PENDING|(Resources)|\n',
      '11|RUNNING|n1|n1\n12|PENDING|(Resources)|\n',
      '11|RUNNING|n1|n1\n12|RUNNING|n2|n2\n',
      '12|RUNNING|n2|n2\n',
    ];
    const asked: string[] = [];
    const runner: CommandRunner = async (argv) => {
      const ids = argv[argv.indexOf('-j') + 1]!;
      asked.push(ids);
      return { code: 0, stdout: listings[Math.min(asked.length - 1, listings.length - 1)]!, stderr: '' };
    };
    const cluster = SlurmCluster.fromOptions('hpc', {}, { runner });
    const poller = new JobPoller(cluster, { intervalMs: 1, maxIntervalMs: 2, onError: (e) => assert.fail(e) });
    const heard: Record<string, string[]> = { '11': [], '12': [] };
    const say = (s: JobState) => (s.kind === 'pending' ? `pending ${s.reason}` : s.kind === 'running' ? `running ${s.node}` : 'gone');
    let goneSeen!: () => void;
    const gone = new Promise<void>((r) => (goneSeen = r));
    poller.watch('11', (s) => {
      heard['11']!.push(say(s));
      if (s.kind === 'gone') goneSeen();
    });
    poller.watch('12', (s) => heard['12']!.push(say(s)));
    await gone;
    poller.stop();
    assert.deepEqual(heard['11'], ['pending Priority', 'running n1', 'gone']);
    assert.deepEqual(heard['12'], ['pending Resources', 'running n2']);
    // The first poll went out as job 11 subscribed; every poll after job 12 did asks about both in one call.
    assert.ok(asked.slice(1, 4).every((ids) => ids === '11,12'), `each poll asks about both: ${asked.join(' ')}`);
    assert.ok(asked.slice(4).every((ids) => ids === '12'), `job 11 is no longer asked about once gone: ${asked.join(' ')}`);
  });
});
