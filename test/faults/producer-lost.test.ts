/**
 * docs/protocol.md §12.2, §13.3 with §15: a consumer is told to pull an
 * input straight from the worker that produced it, and that producer dies
 * before it has served anything (it hangs — SIGSTOP — when the consumer is
 * assigned, and is SIGKILLed once the master has named it as the source).
 * On local deployments every ciphertext is also in the run directory, so
 * the consumer falls back to the master's copy, checked against the same
 * recorded hash; no producer runs again, and the decrypted result equals an
 * undisturbed plain run's. Repeated FAULT_RUNS times.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt } from '../../src/crypto/index.js';
import { readIdentityFile } from '../../src/crypto/keyfile.js';
import { cmd, events, tmpDir, workflow } from '../engine/build.js';
import { alive } from '../cli/run-helpers.js';
import { brokerDecisions, fileBytes } from './chain.js';
import { FAULT_RUNS, faultRun, gate, holdAt, until } from './harness.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-producerlost-'));
process.env['SEALFLOW_HOME'] = path.join(home, 'home');
process.env['SEALFLOW_MASTER_PASSPHRASE'] = '';

// Two producers run at once (one per worker); the consumer reads both, so one of its inputs comes from the other worker.
// The consumer holds at a gate (the file `hold`) that the test opens once the master has noticed its lost producer:
// the run is still going then, however fast the consumer's pull and fallback are.
const chainHeldAt = (hold: string) =>
  workflow(
    [
      cmd('p1', { argv: ['seq', '1', '3000'], stdout: 'o', out: { o: 'file o' } }),
      cmd('p2', { argv: ['seq', '3001', '6000'], stdout: 'o', out: { o: 'file o' } }),
      cmd('c', { argv: ['sh', '-c', `${holdAt('"$3"')}; cat "$1" "$2" | cksum; tail -n 2 "$2"`, 'sh', '$(a)', '$(b)', hold], stdout: 'o', in: { a: { type: 'file', from: 'p1/o' }, b: { type: 'file', from: 'p2/o' } }, out: { o: 'file o' } }),
    ],
    { outputs: { result: { type: 'file', from: 'c/o' } } },
  );
let clean: Buffer;

before(async () => {
  const open = gate();
  open.open();
  const { outcome } = await faultRun(chainHeldAt(open.path));
  assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
  clean = fileBytes(outcome.outputs['result']);
});

const decisions = brokerDecisions;

describe('§13.3 a producer lost before it served its output', () => {
  test(`§13.3 the consumer of a producer that died before serving falls back to the master's copy; nothing re-runs; decrypted result byte-identical (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      let victim: { id: string; pid: number } | null = null;
      const patched = new WeakSet<object>();
      const g = gate();
      const { outcome } = await faultRun(chainHeldAt(g.path), {
        platform: 'sim',
        options: { transfers: 'direct' }, // pull from the producer (local deployments default to the master's copy, §15.7)
        stateDir: tmpDir('sealflow-producerlost-'),
        onEvent: (e, pool) => {
          // Stop the other worker in the same tick as the consumer's assignment is handed to its channel, before
          // any key or source goes out: it can serve nothing from then on. (Journal listeners run a tick later,
          // too late to win against a fast pull.) The consumer is assigned only after both producers ran, so by
          // then every worker's channel has been wrapped here.
          for (const w of pool.liveWorkers()) {
            if (patched.has(w.channel)) continue;
            patched.add(w.channel);
            const send = w.channel.send.bind(w.channel);
            w.channel.send = (m) => {
              if (m.type === 'assign' && m.label.startsWith('c') && !victim) {
                const other = pool.liveWorkers().find((o) => o.id !== w.id);
                assert.ok(other, 'a second worker is alive');
                victim = { id: other.id, pid: other.pid };
                process.kill(victim.pid, 'SIGSTOP');
              }
              send(m);
            };
          }
          // The consumer's keys are released and its producer named as the source: now the producer dies.
          if (e.type === 'wcpac' && e.decision.type === 'key-release' && e.decision.decision === 'released' && e.decision.step.startsWith('c[0]#') && victim) process.kill(victim.pid, 'SIGKILL');
          // The master noticed: the consumer may go on (it falls back to the master's copy).
          if (e.type === 'worker-lost' && victim && e.worker === victim.id) g.open();
        },
      });
      assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
      const v = victim as { id: string; pid: number } | null;
      assert.ok(v, 'a producer was killed');
      const ev = events(outcome.runDir);
      const producers = ev.flatMap((e) => (e.type === 'step-started' && e.step !== 'c' ? [e.worker] : []));
      assert.equal(new Set(producers).size, 2, `the producers ran on two workers: ${JSON.stringify(producers)}`);
      for (const s of ['p1', 'p2', 'c']) assert.equal(ev.filter((e) => e.type === 'step-started' && e.step === s).length, 1, `${s} ran once`);
      assert.ok(ev.some((e) => e.type === 'worker-lost' && e.worker === v.id), 'the producer\'s worker was lost');
      const transfers = decisions(ev).flatMap((d) => (d.type === 'data-transfer' && d.from === v.id ? [d] : []));
      assert.ok(transfers.length >= 1, 'the master named the lost producer as the source');
      assert.deepEqual(transfers.map((t) => t.outcome), transfers.map(() => 'fallback'), `nothing came from the lost producer: ${JSON.stringify(transfers)}`);
      const bytes = fs.readFileSync((outcome.outputs['result'] as { path: string }).path);
      const parts: Buffer[] = [];
      for await (const c of decrypt(await readIdentityFile(path.join(home, 'home', 'owner-identity.txt')), bytes)) parts.push(Buffer.from(c as Uint8Array));
      assert.deepEqual(Buffer.concat(parts), clean);
      assert.ok(await until(() => !alive(v.pid)));
    }
  });
});
