/**
 * The leak check of docs/protocol.md §10, extended to §10.8: the master and
 * every worker of an encrypted (sim) run are SIGKILLed together while a step
 * holds its decrypted input and its plaintext output in scratch. Nothing
 * plaintext is in the run directory (the scratch lives outside it, and
 * outputs are only ever written there as age files); the next `sealflow`
 * command that opens the state directory removes the dead workers' scratch
 * and leaves that of live workers alone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processStartTime } from '../../src/protocol/scratch.js';
import { REPO, runCli } from '../helpers/cli.js';
import { filesUnder } from '../helpers/files.js';
import { startCli, waitGone } from '../cli/run-helpers.js';
import { gate, until } from './harness.js';
import { spawnSync } from 'node:child_process';

/** The worker directory (`<base>/sealflow-scratch-<uid>/<run>/<pid>/`) a decoy is planted as, with its owner marker. */
function plantWorkerDir(userBase: string, run: string, name: string, owner: { pid: number; start?: string }): string {
  const dir = path.join(userBase, run, name);
  fs.mkdirSync(path.join(dir, 'step.0.1'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(owner));
  fs.writeFileSync(path.join(dir, 'step.0.1', 'data.txt'), 'a worker\'s plaintext\n');
  return dir;
}

describe('§10.8 no plaintext outlives a kill', () => {
  test('§10.8 master and workers SIGKILLed together while a step holds plaintext input and output: none of it is in the run directory, and `sealflow runs` removes the dead workers\' scratch but never a live worker\'s', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-killall-'));
    const canary = `CANARY-${randomBytes(12).toString('hex')}`;
    const input = path.join(root, 'owner', 'text.txt');
    fs.mkdirSync(path.dirname(input));
    fs.writeFileSync(input, `first\n${canary}\nlast\n`);
    const tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp);
    const stateDir = path.join(root, 'state');
    const scratchBase = path.join(root, 'shm');
    const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '', TMPDIR: tmp, SEALFLOW_SCRATCH_DIR: scratchBase };
    const flow = path.join(REPO, 'test', 'fixtures', 'faults', 'leak-killall');
    const userBase = path.join(scratchBase, `sealflow-scratch-${process.getuid?.() ?? os.userInfo().username}`);

    const g = gate(path.join(root, 'owner'));
    const cli = startCli(['run', flow, '--platform', 'sim', '--input', `text=${input}`, '--input', `hold=${g.path}`, '--state-dir', stateDir, '--json'], root, env);
    try {
      await cli.waitFor((e) => e.type === 'step-started' && e.step === 'hold');
      const runId = cli.events[0]?.type === 'run-started' ? cli.events[0].runId : '';
      // Wherever the worker keeps it (looked for in the state directory too: that is where it must not be).
      const held = () => [userBase, stateDir].flatMap((d) => (fs.existsSync(d) ? filesUnder(d) : [])).filter((f) => fs.readFileSync(f).includes(canary));
      // Its decrypted input (`.in/`) and its own output, both plaintext.
      assert.ok(await until(() => held().some((f) => f.endsWith(`${path.sep}out.txt`)) && held().some((f) => f.includes('.in'))), 'the step holds plaintext input and output in its scratch');

      // While the run is alive, a command that opens the state directory leaves its workers' scratch alone.
      const during = held();
      const runsDuring = await runCli(['runs', '--state-dir', stateDir], { cwd: root, env });
      assert.equal(runsDuring.code, 0, runsDuring.stderr);
      assert.deepEqual(during.filter((f) => !fs.existsSync(f)), [], 'a live worker\'s scratch is not removed');

      // All at once: stopped workers cannot wipe anything when their master dies; then everything is killed.
      const workers = cli.events.flatMap((e) => (e.type === 'worker-started' ? [e.pid] : []));
      for (const pid of workers) process.kill(pid, 'SIGSTOP');
      cli.child.kill('SIGKILL');
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      await cli.exited;
      assert.deepEqual(await waitGone(workers), [], 'the workers are gone');

      const orphaned = held();
      assert.ok(orphaned.length > 0, 'a kill leaves the plaintext in the workers\' scratch');
      for (const f of orphaned) {
        assert.ok(path.relative(stateDir, f).startsWith('..'), `${f} is outside the state directory`);
        assert.ok(f.startsWith(path.join(userBase, runId) + path.sep), `${f} is in the run's scratch, named by the run and the worker's pid`);
        assert.ok(workers.includes(Number(path.relative(path.join(userBase, runId), f).split(path.sep)[0])), `${f} names its worker's pid`);
      }
      const inRunDir = filesUnder(stateDir).filter((f) => fs.readFileSync(f).includes(canary));
      assert.deepEqual(inRunDir, [], 'no plaintext canary anywhere in the state directory');
      const sealed = filesUnder(path.join(stateDir, 'runs', runId, 'steps'));
      assert.ok(sealed.length > 0 && sealed.every((f) => f.endsWith('.age')), `the finished step's output is an age file: ${sealed.join(', ')}`);
      assert.match(cli.events.length > 0 ? (await cli.exited).stderr : '', /NOT TEE-protected memory/, 'the run said where its workers keep plaintext, and that it is not TEE memory');

      // A live worker's scratch (this process stands in for one), and one whose pid was reused by another process.
      const live = plantWorkerDir(userBase, 'other-run', String(process.pid), { pid: process.pid, start: processStartTime(process.pid) ?? '' });
      const reused = plantWorkerDir(userBase, 'other-run', String(process.ppid), { pid: process.ppid, start: 'not-its-start-time' });

      const runs = await runCli(['runs', '--state-dir', stateDir], { cwd: root, env });
      assert.equal(runs.code, 0, runs.stderr);
      assert.ok(!fs.existsSync(path.join(userBase, runId)), 'the killed workers\' scratch is removed by the next command that opens the state directory');
      assert.deepEqual(filesUnder(scratchBase).filter((f) => fs.readFileSync(f).includes(canary)), [], 'no canary is left anywhere in scratch');
      assert.ok(fs.existsSync(path.join(live, 'step.0.1', 'data.txt')), 'a live worker\'s scratch is left alone');
      assert.ok(!fs.existsSync(reused), 'a worker directory whose pid now belongs to another process is removed');
    } finally {
      g.open(); // the killed workers' commands (own process groups) end at the gate
      // ...unless the gate file is removed with `root` before their next look: end them here, by the gate's path in their argv.
      spawnSync('pkill', ['-KILL', '-f', g.path]);
      cli.child.kill('SIGKILL');
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
