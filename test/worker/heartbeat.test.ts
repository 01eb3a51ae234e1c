/**
 * docs/protocol.md §11.3, worker side: a worker whose master hangs (SIGSTOP:
 * its connection stays open, only heartbeats stop) notices within the
 * master's timeout, stops its step, wipes its scratch and exits.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCli } from '../cli/run-helpers.js';
import { CHAIN } from '../faults/chain.js';
import { gate, until } from '../faults/harness.js';
import { attemptFile } from '../helpers/scratch.js';

/** Exited: no such process, or a zombie (its parent, the stopped master, cannot reap it). */
function exited(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

describe('§11.3 worker-side heartbeats', () => {
  test('§11.3 a worker whose master stops answering (SIGSTOP) wipes its scratch and exits within timeout + 5 s', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-hbworker-'));
    const stateDir = path.join(root, 'state');
    // mid holds at its gate (never opened while the master runs), so the run is still going when the master hangs.
    const g = gate(root);
    // A timeout well above any pause of a loaded machine before the hang (only the real hang is noticed); the bound is §11.3's.
    const timeoutMs = 2000;
    const boundMs = 1.25 * timeoutMs + 7000;
    const cli = startCli(['run', CHAIN, '--state-dir', stateDir, '--json', '--input', `hold=${g.path}`], root, {
      SEALFLOW_HOME: path.join(root, 'home'), // its own master and owner identity, not the user's
      SEALFLOW_MASTER_PASSPHRASE: '',
      SEALFLOW_HEARTBEAT_INTERVAL_MS: '250',
      SEALFLOW_HEARTBEAT_TIMEOUT_MS: String(timeoutMs),
    });
    try {
      await cli.waitFor((e) => e.type === 'step-started' && e.step === 'mid');
      const runId = cli.events[0]?.type === 'run-started' ? cli.events[0].runId : '';
      let partial = '';
      assert.ok(await until(() => (fs.statSync((partial = attemptFile(stateDir, runId, 'mid.0.1', 'o') ?? ''), { throwIfNoEntry: false })?.size ?? 0) > 0), 'mid had begun writing');
      const workers = cli.events.flatMap((e) => (e.type === 'worker-started' ? [e.pid] : []));
      cli.child.kill('SIGSTOP');
      const t0 = Date.now();
      assert.ok(await until(() => workers.every(exited)), `the workers exited: ${workers.filter((p) => !exited(p)).join(', ')}`);
      assert.ok(Date.now() - t0 < boundMs, `took ${Date.now() - t0} ms (bound ${boundMs} ms)`);
      assert.ok(!fs.existsSync(partial), 'the step\'s scratch was wiped');
    } finally {
      g.open();
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
  });
});
