/**
 * Fault injection on the connections of attested sim workers
 * (docs/protocol.md §10–§12): a worker whose connection is closed while its
 * step's input is in transit or while it writes its output is declared
 * lost, revoked and killed, and its step re-runs on another attested worker
 * with freshly released keys; a worker declared dead that comes back gets
 * no key. Decrypted outputs stay byte-identical to an undisturbed plain run.
 * The loop runs FAULT_RUNS times (2 in `npm test`, 10 in `npm run test:faults`).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { releaseFileKeys } from '../../src/master/broker/release.js';
import { BrokerRefusal } from '../../src/master/broker/types.js';
import type { RunEvent } from '../../src/engine/events.js';
import type { AssignMsg } from '../../src/protocol/execution.js';
import type { Workflow } from '../../src/workflow/model.js';
import { events, tmpDir } from '../engine/build.js';
import { alive } from '../cli/run-helpers.js';
import { brokerDecisions, checkJournal, cleanChain, disturbMid, encryptedHome, type ChainOutputs } from './chain.js';
import { FAULT_RUNS, faultRun, gate, until, workerOf } from './harness.js';

const { decrypted } = encryptedHome('sealflow-simdisc-');

let wf: Workflow;
let clean: ChainOutputs;

before(async () => {
  ({ wf, clean } = await cleanChain());
});

const decisions = brokerDecisions;

/** No key went to `victim` once it was revoked; the re-run of `step` got its keys elsewhere. */
function checkRevoked(ev: readonly RunEvent[], victim: string, step: string): void {
  const d = decisions(ev);
  const at = d.findIndex((x) => x.type === 'worker-revoked' && x.worker === victim);
  assert.ok(at >= 0, `worker ${victim} was revoked`);
  assert.ok(!d.slice(at).some((x) => x.type === 'key-release' && x.decision === 'released' && x.worker === victim), 'no key went to the revoked worker');
  assert.ok(d.slice(at).some((x) => x.type === 'key-release' && x.decision === 'released' && x.worker !== victim && x.step.startsWith(`${step}[0]#2`)), 'the re-run got its keys on another worker');
}

describe('§12 fault injection: connections of attested sim workers', () => {
  test(`§12 a sim worker whose connection is closed mid-transfer or mid-step is declared lost, revoked and killed; the step re-runs, decrypted outputs byte-identical (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      // Even runs: at once, while the sealed assignment and the input ciphertext are on their way; odd runs: while the output grows.
      const midTransfer = i % 2 === 0;
      const { options, victim } = disturbMid(tmpDir('sealflow-simdisc-'), midTransfer ? 'assigned' : 'writing', (pool, w) => workerOf(pool, w).channel.close());
      const { outcome } = await faultRun(wf, { platform: 'sim', ...options });
      if (!midTransfer) assert.ok(victim.wasWriting, 'mid had begun writing its output');
      assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
      assert.deepEqual(await decrypted(outcome.outputs['numbers']), clean.numbers);
      assert.deepEqual(await decrypted(outcome.outputs['summary']), clean.summary);
      const ev = events(outcome.runDir);
      checkJournal(ev, 'mid');
      const lost = ev.find((e) => e.type === 'worker-lost');
      assert.match(lost?.type === 'worker-lost' ? lost.reason : '', /connection closed/);
      checkRevoked(ev, victim.id, 'mid');
      assert.ok(await until(() => !alive(victim.pid)), 'the disconnected worker is gone');
    }
  });

  test('§12.1 on the sim path, a worker declared dead that comes back gets no key: its certificate is revoked, key release refuses it, its epoch is closed', async () => {
    const stateDir = tmpDir('sealflow-simdisc-');
    let victim: ReturnType<typeof workerOf> | null = null;
    let cameBack: Promise<void> | null = null;
    const refusals: unknown[] = [];
    // mid is held at its gate until the worker that came back has been refused: the run is still going then, on any machine.
    const g = gate();
    const { outcome } = await faultRun(wf, {
      platform: 'sim',
      stateDir,
      inputs: { hold: g.path },
      // A timeout well above any pause of a loaded machine, so that only the hung worker is declared dead.
      heartbeat: { intervalMs: 200, timeoutMs: 2000 },
      onEvent: (e, pool, master) => {
        // The idle worker hangs (SIGSTOP) on a host the master cannot reach: killing it does nothing. (gen runs on
        // local-1, the first of two idle workers; mid, assigned when gen is done, goes to the first of the least loaded:
        // local-1 again, so no assignment is ever pending for the hung local-2.)
        if (e.type === 'step-started' && e.step === 'gen' && !victim) {
          const idle = pool.liveWorkers().find((w) => w.id !== e.worker);
          if (!idle) return;
          victim = idle;
          Object.assign(idle, { kill: () => undefined });
          process.kill(idle.pid, 'SIGSTOP');
        }
        // Declared dead and revoked: it comes back, and the master is asked to give it work.
        if (e.type === 'worker-lost' && victim && e.worker === victim.id) {
          const w = victim;
          process.kill(w.pid, 'SIGCONT');
          cameBack = (async () => {
            const session = await master.opened();
            assert.ok(session);
            const record = session.broker.workers.get(w.id);
            assert.ok(record && !record.alive);
            assert.match(session.broker.opts.runCa.checkClientCert(record.clientCertDer, new Date()) ?? '', /revoked/, 'the executor port refuses its certificate');
            // gen's output is recorded once gen is done (on a slow machine, maybe only after the hung worker was declared dead).
            assert.ok(await until(() => session.broker.hashes.size > 0), 'a recorded ciphertext to ask for');
            const input = [...session.broker.hashes.keys()][0];
            assert.ok(input !== undefined);
            await releaseFileKeys(session.broker, w.id, { step: 'mid[0]#9', tee: 'none', inputs: [{ id: input, path: input }], epoch: record.epoch }).then(
              () => assert.fail('a key was released to a revoked worker'),
              (err: unknown) => refusals.push(err),
            );
            // Through its own (still open) sealed channel: the assignment fails at the master; nothing is sent.
            const failed = new Promise<unknown>((resolve) => w.channel.onMessage((m) => (m.type === 'failed' && m.id === 'mid[0]#9' ? resolve(m) : undefined)));
            w.channel.send({ type: 'assign', id: 'mid[0]#9', label: 'mid', exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: {} }, inputs: { x: { class: 'File', path: input } }, outputs: [], threads: 1, scratchDir: path.join(stateDir, 'nowhere'), outDir: path.join(stateDir, 'nowhere-out'), logBase: path.join(stateDir, 'nowhere-log') } as AssignMsg);
            refusals.push(await failed);
          })().finally(() => g.open());
          cameBack.catch(() => undefined); // awaited (and its failure reported) after the run
        }
      },
    });
    assert.ok(victim, 'an idle worker was hung');
    await cameBack;
    const v = victim as ReturnType<typeof workerOf>;
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    assert.deepEqual(await decrypted(outcome.outputs['summary']), clean.summary);
    assert.ok(refusals[0] instanceof BrokerRefusal && refusals[0].reason === 'worker-dead', String(refusals[0]));
    assert.match(String((refusals[1] as { message?: string } | undefined)?.message), /no file keys .*declared dead/);
    const d = decisions(events(outcome.runDir));
    const revoked = d.find((x) => x.type === 'worker-revoked' && x.worker === v.id);
    assert.ok(revoked?.type === 'worker-revoked' && /declared dead/.test(revoked.reason), JSON.stringify(revoked));
    assert.ok(!d.some((x) => x.type === 'key-release' && x.decision === 'released' && x.worker === v.id), 'no key ever went to it');
    assert.equal(d.filter((x) => x.type === 'key-release' && x.decision === 'refused' && x.worker === v.id && x.reason === 'worker-dead').length, 2);
    // Having lost its master (no heartbeats since it was declared dead), it wipes its scratch and exits on its own.
    assert.ok(await until(() => !alive(v.pid)), 'the worker that came back exits on its own');
  });
});
