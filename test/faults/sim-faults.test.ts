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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Workflow } from '../../src/workflow/model.js';
import { events, tmpDir } from '../engine/build.js';
import { brokerDecisions, chainWorkflow, fileBytes, ownerDecrypted } from './chain.js';
import { FAULT_RUNS, faultRun, until, workerOf } from './harness.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-simfault-'));
process.env['SEALFLOW_HOME'] = path.join(home, 'home');
process.env['SEALFLOW_MASTER_PASSPHRASE'] = '';

let wf: Workflow;
let clean: { numbers: Buffer; summary: Buffer };

before(async () => {
  wf = await chainWorkflow();
  const { outcome } = await faultRun(wf);
  assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
  clean = { numbers: fileBytes(outcome.outputs['numbers']), summary: fileBytes(outcome.outputs['summary']) };
});

const decrypted = (v: unknown): Promise<Buffer> => ownerDecrypted((v as { path: string }).path, path.join(home, 'home', 'owner-identity.txt'));

const decisions = brokerDecisions;

describe('§12 fault injection: encrypted sim runs', () => {
  test(`§12 an attested sim worker SIGKILLed mid-step is revoked; the step re-runs on another attested worker; decrypted outputs byte-identical (${FAULT_RUNS} runs)`, async () => {
    for (let i = 0; i < FAULT_RUNS; i++) {
      const stateDir = tmpDir('sealflow-simfault-');
      let scratch = '';
      let victim = '';
      const { outcome } = await faultRun(wf, {
        platform: 'sim',
        stateDir,
        onEvent: (e, pool) => {
          if (e.type === 'run-started') {
            scratch = path.join(stateDir, 'runs', e.runId, 'scratch', 'mid.0.1', 'o');
          }
          if (e.type === 'step-started' && e.step === 'mid' && e.attempt === 1) {
            victim = e.worker;
            const pid = workerOf(pool, e.worker).pid;
            void until(() => fs.existsSync(scratch) && fs.statSync(scratch).size > 0, 5000).then(() => process.kill(pid, 'SIGKILL'));
          }
        },
      });
      assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
      assert.deepEqual(await decrypted(outcome.outputs['numbers']), clean.numbers);
      assert.deepEqual(await decrypted(outcome.outputs['summary']), clean.summary);

      const ev = events(outcome.runDir);
      assert.equal(ev.filter((e) => e.type === 'step-started' && e.step === 'gen').length, 1, 'the producer did not run again');
      const rerun = ev.find((e) => e.type === 'step-started' && e.step === 'mid' && e.attempt === 2);
      assert.ok(rerun?.type === 'step-started' && rerun.worker !== victim, 'mid re-ran on another worker');
      const d = decisions(ev);
      const revokedAt = d.findIndex((x) => x.type === 'worker-revoked' && x.worker === victim);
      assert.ok(revokedAt >= 0, `worker ${victim} was revoked`);
      assert.ok(!d.slice(revokedAt).some((x) => x.type === 'key-release' && x.decision === 'released' && x.worker === victim), 'no key went to the dead worker after its revocation');
      assert.ok(d.slice(revokedAt).some((x) => x.type === 'key-release' && x.decision === 'released' && x.step.startsWith('mid[0]#2')), 'the re-run got its keys');
    }
  });

  test('§12.2 when the only attested sim worker dies, a replacement is attested and gets the re-run\'s keys; decrypted outputs byte-identical', async () => {
    const stateDir = tmpDir('sealflow-simfault-');
    const { outcome } = await faultRun(wf, {
      platform: 'sim',
      workers: 1,
      stateDir,
      onEvent: (e, pool) => {
        if (e.type === 'step-started' && e.step === 'mid' && e.attempt === 1) process.kill(workerOf(pool, e.worker).pid, 'SIGKILL');
      },
    });
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    assert.deepEqual(await decrypted(outcome.outputs['summary']), clean.summary);
    const ev = events(outcome.runDir);
    assert.deepEqual(ev.flatMap((e) => (e.type === 'worker-started' ? [e.worker] : [])), ['local-1', 'local-2']);
    const d = decisions(ev);
    assert.ok(d.some((x) => x.type === 'attestation' && x.decision === 'accepted' && x.slot === 'local-2'), 'the replacement was attested');
    assert.ok(d.some((x) => x.type === 'worker-revoked' && x.worker === 'local-1'));
    assert.ok(d.some((x) => x.type === 'key-release' && x.decision === 'released' && x.worker === 'local-2' && x.step.startsWith('mid[0]#2')));
  });
});
