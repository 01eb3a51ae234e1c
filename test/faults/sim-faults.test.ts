/**
 * Fault injection on an encrypted run (docs/protocol.md §10, §12): the
 * chain on attested `sim` workers (local connector, platform sim, outputs
 * age-encrypted by the workers). A worker SIGKILLed while its step writes
 * its output is revoked (its run-CA certificate and epoch), its step re-runs
 * on another attested worker whose file keys are released afresh, and the
 * owner's decrypted outputs equal an undisturbed plain run's.
 * Repeated FAULT_RUNS times (2 in `npm test`, 10 in `npm run test:faults`).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Workflow } from '../../src/workflow/model.js';
import { events, tmpDir } from '../engine/build.js';
import { brokerDecisions, cleanChain, disturbMid, encryptedHome, type ChainOutputs } from './chain.js';
import { FAULT_RUNS, faultRun } from './harness.js';

const { decrypted } = encryptedHome('sealflow-simfault-');

let wf: Workflow;
let clean: ChainOutputs;

before(async () => {
  ({ wf, clean } = await cleanChain());
});

const decisions = brokerDecisions;

describe('§12 fault injection: encrypted sim runs', () => {
  test(`§12 an attested sim worker SIGKILLed mid-step is revoked; the step re-runs on another attested worker; decrypted outputs byte-identical (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      const { options, victim } = disturbMid(tmpDir('sealflow-simfault-'), 'writing', (_pool, _w) => process.kill(victim.pid, 'SIGKILL'));
      const { outcome } = await faultRun(wf, { platform: 'sim', ...options });
      assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
      assert.ok(victim.wasWriting, 'mid had begun writing its output');
      assert.deepEqual(await decrypted(outcome.outputs['numbers']), clean.numbers);
      assert.deepEqual(await decrypted(outcome.outputs['summary']), clean.summary);

      const ev = events(outcome.runDir);
      assert.equal(ev.filter((e) => e.type === 'step-started' && e.step === 'gen').length, 1, 'the producer did not run again');
      const rerun = ev.find((e) => e.type === 'step-started' && e.step === 'mid' && e.attempt === 2);
      assert.ok(rerun?.type === 'step-started' && rerun.worker !== victim.id, 'mid re-ran on another worker');
      const d = decisions(ev);
      const revokedAt = d.findIndex((x) => x.type === 'worker-revoked' && x.worker === victim.id);
      assert.ok(revokedAt >= 0, `worker ${victim.id} was revoked`);
      assert.ok(!d.slice(revokedAt).some((x) => x.type === 'key-release' && x.decision === 'released' && x.worker === victim.id), 'no key went to the dead worker after its revocation');
      assert.ok(d.slice(revokedAt).some((x) => x.type === 'key-release' && x.decision === 'released' && x.step.startsWith('mid[0]#2')), 'the re-run got its keys');
    }
  });

  test('§12.2 when the only attested sim worker dies, a replacement is attested and gets the re-run\'s keys; decrypted outputs byte-identical', async () => {
    const { options, victim } = disturbMid(tmpDir('sealflow-simfault-'), 'assigned', () => process.kill(victim.pid, 'SIGKILL'));
    const { outcome } = await faultRun(wf, { platform: 'sim', workers: 1, ...options });
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    assert.deepEqual(await decrypted(outcome.outputs['summary']), clean.summary);
    const ev = events(outcome.runDir);
    assert.deepEqual(ev.flatMap((e) => (e.type === 'worker-started' ? [e.worker] : [])), ['local-1', 'local-2']);
    const d = decisions(ev);
    assert.ok(d.some((x) => x.type === 'attestation' && x.decision === 'accepted' && x.slot === 'local-2'), 'the replacement was attested');
    assert.ok(d.some((x) => x.type === 'worker-revoked' && x.worker === 'local-1'));
    assert.ok(d.some((x) => x.type === 'key-release' && x.decision === 'released' && x.worker === 'local-2' && x.step.startsWith('mid[0]#2')));
  });

  test('a worker its host stops with SIGTERM mid-step (as Slurm\'s scancel does): the step re-runs on a replacement, no step is taken as cancelled, and the outputs are byte-identical', async () => {
    const { options, victim } = disturbMid(tmpDir('sealflow-simfault-'), 'writing', () => process.kill(victim.pid, 'SIGTERM'));
    const { outcome } = await faultRun(wf, { platform: 'sim', workers: 1, ...options });
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    assert.deepEqual(await decrypted(outcome.outputs['numbers']), clean.numbers);
    assert.deepEqual(await decrypted(outcome.outputs['summary']), clean.summary);
    const ev = events(outcome.runDir);
    assert.ok(!ev.some((e) => e.type === 'step-cancelled'), 'no step was taken as cancelled');
    const mids = ev.flatMap((e) => (e.type === 'step-started' && e.step === 'mid' ? [`${e.attempt}@${e.worker}`] : []));
    assert.ok(mids.length >= 2 && !mids.at(-1)!.endsWith(`@${victim.id}`), `mid re-ran on the replacement: ${mids.join(', ')}`);
  });
});
