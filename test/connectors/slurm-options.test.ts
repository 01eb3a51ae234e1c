/**
 * The slurm transport without a cluster: option validation (exact errors),
 * sealflow memory → Slurm `--mem`, the job script it writes, the parsers of
 * sbatch/squeue output, and what it asks of its command runner (the contract
 * a later ssh runner must keep). The cluster itself: slurm-jobs.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, OperationError } from '../../src/errors.js';
import {
  checkAgainst,
  compileSlurmOptions,
  jobScript,
  parseSbatchParsable,
  parseSinfo,
  parseSqueue,
  parseTimeLimit,
  SlurmCluster,
  SlurmOutputError,
  SlurmRefusal,
  slurmMemory,
  slurmTimeSeconds,
  type CommandRunner,
  type JobState,
} from '../../src/connectors/slurm/index.js';
import { parseMemory } from '../../src/workflow/types.js';
import { compileSlurmDeployment } from '../../src/connectors/slurm/deployment.js';

describe('slurm deployment options', () => {
  test('valid options compile to the settings the job script uses', () => {
    assert.deepEqual(compileSlurmOptions('hpc', { partition: 'batch', account: 'lab-1', qos: 'normal', timeLimit: '1-12:00', nodelist: 'n[1-2]', threads: 4, memory: '2GiB', slurmConf: '/etc/slurm/slurm.conf' }), {
      deployment: 'hpc', partition: 'batch', account: 'lab-1', qos: 'normal', timeLimit: '1-12:00', nodelist: 'n[1-2]', threads: 4, memory: 2 * 1024 ** 3, slurmConf: '/etc/slurm/slurm.conf',
    });
    assert.deepEqual(compileSlurmOptions('hpc', {}), { deployment: 'hpc' });
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ['an unknown option', { extraArgs: '--exclusive' }, 'deployment "hpc" (slurm): unknown option "extraArgs"; the slurm connector takes partition, account, qos, timeLimit, nodelist, threads, memory, slurmConf (sealflow writes every #SBATCH line itself; other sbatch options are not passed through).'],
    ['a partition with shell syntax', { partition: 'batch;rm' }, 'deployment "hpc" (slurm): partition must be a Slurm partition name (letters, digits, _ . + -), not "batch;rm".'],
    ['an account that is not a string', { account: 7 }, 'deployment "hpc" (slurm): account must be a Slurm account name (letters, digits, _ . + -), not 7.'],
    ['a time limit in no Slurm format', { timeLimit: '2h' }, 'deployment "hpc" (slurm): timeLimit must be a Slurm time limit — minutes ("90"), "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS" (hours < 24, minutes and seconds < 60, not zero) or "UNLIMITED" — not "2h".'],
    ['a memory size without a unit sealflow knows', { memory: '2 gigs' }, 'deployment "hpc" (slurm): memory must be a positive size such as 512MiB, 2GB or a number of bytes (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), not "2 gigs".'],
    ['zero threads', { threads: 0 }, "deployment \"hpc\" (slurm): threads must be a whole number from 1 to 4096 (Slurm's --cpus-per-task), not 0."],
    ['a node list with spaces', { nodelist: 'n1 n2' }, 'deployment "hpc" (slurm): nodelist must be a Slurm node list such as "n1" or "node[1-4],gpu2", not "n1 n2".'],
    ['a relative slurm.conf', { slurmConf: 'slurm.conf' }, 'deployment "hpc" (slurm): slurmConf must be an absolute path without spaces or quotes (the cluster\'s slurm.conf), not "slurm.conf".'],
  ];
  for (const [what, raw, message] of refusals) {
    test(`refuses ${what} with an error naming the deployment and what is allowed`, () => {
      assert.throws(() => compileSlurmOptions('hpc', raw), (e: unknown) => e instanceof InputError && e.message === message);
    });
  }

  test('time limits in every Slurm spelling are accepted, zero and out-of-range fields are not', () => {
    for (const ok of ['90', '5:30', '12:00:00', '2-0', '1-12', '1-12:30', '7-23:59:59', 'UNLIMITED', 'infinite']) assert.ok(parseTimeLimit(ok), ok);
    assert.equal(parseTimeLimit('infinite'), 'UNLIMITED');
    for (const bad of ['0', '0:00', '0-0', '1:60', '1-24', '1:2:3:4', '-5', '1-', '', ' 90', '90m']) assert.equal(parseTimeLimit(bad), undefined, bad);
  });

  test("sealflow memory becomes Slurm's --mem in MiB or GiB, never less than asked", () => {
    const mem = (s: string) => slurmMemory(parseMemory(s)!);
    assert.equal(mem('512MiB'), '512M');
    assert.equal(mem('2GiB'), '2G');
    assert.equal(mem('1.5GiB'), '1536M');
    assert.equal(mem('2GB'), '1908M'); // 2·10⁹ B = 1907.35 MiB
    assert.equal(mem('1'), '1M');
    assert.equal(mem('1TiB'), '1024G');
    assert.throws(() => slurmMemory(0), RangeError);
  });
});

describe('the job script', () => {
  const settings = compileSlurmOptions('hpc', { partition: 'batch', account: 'lab', timeLimit: '30', threads: 2, memory: '1GiB' });

  test('holds only the closed list of #SBATCH lines, the opaque name and the command under an exact environment', () => {
    const s = jobScript(settings, { argv: ['/usr/bin/node', '/opt/sf/provisioner.js', "it's"], env: { SEALFLOW_MASTER: '10.0.0.1:7000', B: 'x y' }, chdir: '/scratch', outputDir: '/scratch/logs', memory: 3 * 1024 ** 2 }, 'sealflow-00ff');
    assert.equal(
      s.script,
      [
        '#!/bin/bash',
        '#SBATCH --job-name=sealflow-00ff',
        '#SBATCH --output=/scratch/logs/sealflow-00ff.out',
        '#SBATCH --error=/scratch/logs/sealflow-00ff.err',
        '#SBATCH --chdir=/scratch',
        '#SBATCH --nodes=1',
        '#SBATCH --ntasks=1',
        '#SBATCH --no-requeue',
        '#SBATCH --partition=batch',
        '#SBATCH --account=lab',
        '#SBATCH --time=30',
        '#SBATCH --cpus-per-task=2',
        '#SBATCH --mem=3M',
        'set -eu',
        'exec /usr/bin/env -i \\',
        "  'SEALFLOW_MASTER=10.0.0.1:7000' \\",
        "  'B=x y' \\",
        `  '/usr/bin/node' '/opt/sf/provisioner.js' 'it'\\''s'`,
        '',
      ].join('\n'),
    );
    assert.equal(s.stdout, '/scratch/logs/sealflow-00ff.out');
  });

  test('job names are sealflow- and 32 random hex digits; without an output directory the output goes to /dev/null', () => {
    const a = jobScript(settings, { argv: ['/bin/true'], env: {}, chdir: '/' });
    const b = jobScript(settings, { argv: ['/bin/true'], env: {}, chdir: '/' });
    assert.match(a.name, /^sealflow-[0-9a-f]{32}$/);
    assert.notEqual(a.name, b.name);
    assert.equal(a.stdout, '/dev/null');
    assert.equal(a.stderr, '/dev/null');
  });

  test('refuses a relative command, a non-shell variable name, a newline in a value and a directory with spaces', () => {
    const bad = [
      { argv: ['node'], env: {}, chdir: '/' },
      { argv: ['/bin/true'], env: { 'A-B': '1' }, chdir: '/' },
      { argv: ['/bin/true'], env: { A: 'x\n#SBATCH --exclusive' }, chdir: '/' },
      { argv: ['/bin/true'], env: {}, chdir: '/my dir' },
    ];
    for (const job of bad) assert.throws(() => jobScript(settings, job), (e: unknown) => e instanceof InputError && e.message.startsWith('deployment "hpc" (slurm): '));
  });
});

describe('parsers of Slurm output', () => {
  test('sbatch --parsable: a job id, optionally with a cluster name; anything else is refused', () => {
    assert.equal(parseSbatchParsable('42\n'), '42');
    assert.equal(parseSbatchParsable('42;cluster_a\n'), '42');
    for (const bad of ['', '\n', 'Submitted batch job 42\n', '042\n', '42\n43\n', '42;\n', '42 \n', '99999999999\n']) assert.throws(() => parseSbatchParsable(bad), SlurmOutputError, JSON.stringify(bad));
  });

  test("squeue: pending with Slurm's reason, running with its node, ended states as gone", () => {
    const states = parseSqueue('5|PENDING|(Resources)|\n6|RUNNING|n1|n1\n7|CANCELLED||\n8|PENDING|(ReqNodeNotAvail, UNAVAILABLE_NODES:n2)|\n9|COMPLETING|n2|n2\n');
    assert.deepEqual(Object.fromEntries(states), {
      '5': { kind: 'pending', reason: 'Resources', slurmState: 'PENDING' },
      '6': { kind: 'running', node: 'n1', slurmState: 'RUNNING' },
      '7': { kind: 'gone', slurmState: 'CANCELLED' },
      '8': { kind: 'pending', reason: 'ReqNodeNotAvail, UNAVAILABLE_NODES:n2', slurmState: 'PENDING' },
      '9': { kind: 'gone', slurmState: 'COMPLETING' },
    });
    assert.equal(parseSqueue('').size, 0);
  });

  test('squeue: unknown states, extra fields, a job listed twice and a running job without a node are refused', () => {
    for (const bad of ['5|WAITING|(x)|\n', '5|RUNNING|n1|n1|x\n', '5|RUNNING|n1|n1\n5|RUNNING|n1|n1\n', '5|RUNNING||\n', '5|PENDING|Resources|\n', 'x|RUNNING|n1|n1\n']) {
      assert.throws(() => parseSqueue(bad), SlurmOutputError, JSON.stringify(bad));
    }
  });
});

describe('sinfo and the deployment check', () => {
  const sinfo = 'n1|batch|batch*|up|1-00:00:00|8|16000\nn2|batch|batch*|up|1-00:00:00|16|64000\ng1|gpu|gpu|down|infinite|4|8000\n';

  test('sinfo: each node of each partition, the default marked, time limits in seconds; anything else is refused', () => {
    const nodes = parseSinfo(sinfo);
    assert.deepEqual(nodes[0], { node: 'n1', partition: 'batch', isDefault: true, avail: 'up', timeLimit: 86400, cpus: 8, memory: 16000 });
    assert.equal(nodes[2]!.timeLimit, Infinity);
    for (const bad of ['n1|batch|other|up|10:00|1|1\n', 'n1|batch|batch|maybe|10:00|1|1\n', 'n1|batch|batch|up|10 min|1|1\n', 'n1|batch|batch|up|10:00|1+|1\n', 'n1|batch|batch|up|10:00|1\n']) {
      assert.throws(() => parseSinfo(bad), SlurmOutputError, JSON.stringify(bad));
    }
  });

  test('Slurm times in seconds, for comparing a time limit with the partition\'s', () => {
    assert.deepEqual(['90', '5:30', '12:00:00', '2-0', '1-12:30', '1-00:00:01', 'UNLIMITED'].map(slurmTimeSeconds), [5400, 330, 43200, 172800, 131400, 86401, Infinity]);
    assert.equal(slurmTimeSeconds('soon'), undefined);
  });

  test('the check names a down partition, a time limit beyond it, and threads or memory no node has; the default partition when none is given', () => {
    const nodes = parseSinfo(sinfo);
    assert.deepEqual(checkAgainst(nodes, { timeLimit: '12:00:00', threads: 16, memory: 64000 * 1024 ** 2 }), []);
    assert.deepEqual(checkAgainst(nodes, { partition: 'gpu', timeLimit: '30-0', threads: 5 }), [
      'partition "gpu" is down, so its jobs do not start — use another partition or ask the cluster\'s operators.',
      'threads 5 is more than any node of partition "gpu" has (4 CPUs) — ask for fewer threads or use a partition with larger nodes.',
    ]);
    assert.deepEqual(checkAgainst(nodes, { timeLimit: '2-0', memory: 64001 * 1024 ** 2 }), [
      "timeLimit 2-0 is beyond the cluster's default partition's limit of 1-00:00:00, so the job would wait forever — lower the deployment's timeLimit.",
      "memory 64001 MiB is more than any node of the cluster's default partition has (64000 MiB) — ask for less memory or use a partition with larger nodes.",
    ]);
    assert.deepEqual(checkAgainst(nodes, { partition: 'big' }), ['partition "big" does not exist — name one of batch, gpu in the deployment\'s partition option.']);
  });
});

describe('what the transport asks of its command runner', () => {
  /** A runner that answers from a table and records what it was asked (the seam a later ssh runner fills). */
  function scripted(answers: ((argv: readonly string[]) => { code: number; stdout?: string; stderr?: string })[]) {
    const calls: { argv: readonly string[]; stdin: string | undefined }[] = [];
    const runner: CommandRunner = async (argv, o = {}) => {
      calls.push({ argv, stdin: o.stdin });
      const a = answers[Math.min(calls.length - 1, answers.length - 1)]!(argv);
      return { code: a.code, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
    };
    return { runner, calls };
  }

  test('submit runs sbatch --parsable --export=NONE with the script on standard input, no script file', async () => {
    const { runner, calls } = scripted([() => ({ code: 0, stdout: '17\n' })]);
    const c = new SlurmCluster(compileSlurmOptions('hpc', {}), { runner });
    const job = await c.submit({ argv: ['/bin/true'], env: { A: '1' }, chdir: '/' });
    assert.equal(job.id, '17');
    assert.deepEqual(calls[0]!.argv, ['sbatch', '--parsable', '--export=NONE']);
    assert.match(calls[0]!.stdin!, new RegExp(`^#!/bin/bash\n#SBATCH --job-name=${job.name}\n`));
    assert.deepEqual(c.jobs(), ['17']);
  });

  test('watch reports each change once, stops watching a job once it is gone, and keeps going after a failed poll', async () => {
    const seq = [
      { code: 0, stdout: '3|PENDING|(Priority)|\n' },
      { code: 0, stdout: '3|PENDING|(Priority)|\n' },
      { code: 1, stderr: 'squeue: error: Unable to contact slurm controller (connect failure)\n' },
      { code: 0, stdout: '3|RUNNING|n2|n2\n' },
      { code: 1, stderr: 'slurm_load_jobs error: Invalid job id specified\n' },
    ];
    const { runner, calls } = scripted(seq.map((a) => () => a));
    const c = new SlurmCluster(compileSlurmOptions('hpc', {}), { runner });
    const seen: [string, JobState][] = [];
    const errors: string[] = [];
    const w = c.watch(['3'], (id, st) => seen.push([id, st]), { intervalMs: 1, maxIntervalMs: 4, onError: (e) => errors.push(e.message) });
    await w.done;
    assert.deepEqual(seen, [
      ['3', { kind: 'pending', reason: 'Priority', slurmState: 'PENDING' }],
      ['3', { kind: 'running', node: 'n2', slurmState: 'RUNNING' }],
      ['3', { kind: 'gone' }],
    ]);
    assert.equal(calls.length, 5);
    assert.deepEqual(calls[0]!.argv, ['squeue', '-h', '--states=all', '-j', '3', '-o', '%i|%T|%R|%N']);
    assert.deepEqual(errors, ["deployment \"hpc\" (slurm): squeue failed for job 3: Unable to contact slurm controller (connect failure) — check that slurmctld is up ('scontrol ping') and the deployment's slurmConf."]);
  });

  test('sbatch without an answer from the controller is not a refusal, and says how to find a job that was queued anyway', async () => {
    const { runner } = scripted([() => ({ code: 1, stderr: 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n' })]);
    const c = new SlurmCluster(compileSlurmOptions('hpc', {}), { runner });
    await assert.rejects(c.submit({ argv: ['/bin/true'], env: {}, chdir: '/' }), (e: unknown) => {
      assert.ok(e instanceof OperationError && !(e instanceof SlurmRefusal));
      assert.match(
        e.message,
        /^deployment "hpc" \(slurm\): sbatch got no answer from the cluster: Batch job submission failed: Unable to contact slurm controller \(connect failure\) — check that slurmctld is up \('scontrol ping'\) and the deployment's slurmConf; a job may have been queued anyway: 'squeue -n (sealflow-[0-9a-f]{32})' shows it, 'scancel -n \1' cancels it\.$/,
      );
      return true;
    });
    assert.deepEqual(c.jobs(), []);
  });

  test('a watch whose callback throws ends with that error', async () => {
    const { runner } = scripted([() => ({ code: 0, stdout: '3|RUNNING|n1|n1\n' })]);
    const c = new SlurmCluster(compileSlurmOptions('hpc', {}), { runner });
    const w = c.watch(['3'], () => {
      throw new Error('the engine failed');
    }, { intervalMs: 1 });
    await assert.rejects(w.done, { message: 'the engine failed' });
  });

  test('cancelling a job that already ended is not an error; another scancel failure names the job and what to do', async () => {
    const { runner } = scripted([
      () => ({ code: 1, stderr: 'scancel: error: Kill job error on job id 4: Job/step already completing or completed\n' }),
      () => ({ code: 1, stderr: 'scancel: error: Kill job error on job id 4: Access/permission denied\n' }),
    ]);
    const c = new SlurmCluster(compileSlurmOptions('hpc', {}), { runner });
    await c.cancel('4');
    await assert.rejects(c.cancel('4'), { message: "deployment \"hpc\" (slurm): scancel failed for job 4: Kill job error on job id 4: Access/permission denied — cancel by hand with 'scancel 4'." });
    await assert.rejects(c.cancel('4;rm'), RangeError);
  });
});

describe('the slurm connector\'s own options (workDir, masterAddress, nodePath)', () => {
  const ok = { workDir: '/scratch/sf', masterAddress: '10.0.0.1' };

  test('compiles them around the transport\'s options, node defaulting to the master\'s own path', () => {
    const d = compileSlurmDeployment('hpc', { ...ok, partition: 'batch', timeLimit: '90' });
    assert.deepEqual([d.workDir, d.masterAddress, d.nodePath], ['/scratch/sf', '10.0.0.1', process.execPath]);
    assert.deepEqual(d.transport, { deployment: 'hpc', partition: 'batch', timeLimit: '90' });
  });

  test('refuses hostile or unusable values, each naming the deployment and the option', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ masterAddress: '10.0.0.1' }, /needs workDir/],
      [{ ...ok, workDir: 'relative/dir' }, /workDir must be an absolute path/],
      [{ ...ok, workDir: '/scratch/../etc' }, /workDir must be an absolute path without spaces, quotes or "\.\."/],
      [{ ...ok, workDir: "/scratch/x';rm -rf ~'" }, /workDir must be an absolute path/],
      [{ ...ok, workDir: `/${'a'.repeat(60)}` }, /at most 50 fit/],
      [{ workDir: '/scratch/sf' }, /needs masterAddress/],
      [{ ...ok, masterAddress: '127.0.0.1' }, /loopback address/],
      [{ ...ok, masterAddress: 'host name' }, /masterAddress must be an IPv4 address or a host name/],
      [{ ...ok, masterAddress: '-oProxyCommand=x' }, /masterAddress must be/],
      [{ ...ok, nodePath: 'node' }, /nodePath must be the absolute path/],
      [{ ...ok, sbatchArgs: '--wrap=x' }, /unknown option "sbatchArgs"/],
      [{ ...ok, partition: 'a b' }, /partition must be a Slurm partition name/],
    ];
    for (const [raw, msg] of bad) {
      assert.throws(() => compileSlurmDeployment('hpc', raw), (e: unknown) => e instanceof InputError && e.message.startsWith('deployment "hpc" (slurm): ') && msg.test(e.message), JSON.stringify(raw));
    }
  });
});
