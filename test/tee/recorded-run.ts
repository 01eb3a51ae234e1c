/**
 * What the hardware-platform run tests (run-gramine, run-occlum, run-cvm)
 * share: an SGX work directory for the leak fixture whose policy allows the
 * recorded quote, `sealflow run` of that fixture, and the check of a run's
 * correct end on a machine without the hardware — the broker's refusal of
 * recorded evidence, journalled as recorded, and no key released.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { verifyEvidence } from '../../src/attestation/index.js';
import { REPO, runCli, type CliResult } from '../helpers/cli.js';
import { attestationData } from '../helpers/shared.js';
import { sgxV3Dcap } from '../attestation/intel-fixtures.js';

export interface JournalLine { type: string; decision?: { type: string; decision?: string; reason?: string; recorded?: boolean; slot?: string; message?: string } }

/**
 * A new work directory under `root` with the leak fixture, text.txt, a policy
 * allowing the recorded SGX quote's MRENCLAVE and TCB status, a stand-in
 * owner signing key holding `keyText`, and a sealflow.yaml whose one
 * deployment `enclaves` (`connector`, `platform`, one worker) has the policy,
 * key, recorded collateral and time, and `options` over them.
 */
export async function sgxWork(root: string, o: { platform: 'gramine' | 'occlum'; connector: string; keyText: string; options: (work: string) => Record<string, string | boolean> }): Promise<string> {
  const sample = sgxV3Dcap();
  const claims = await verifyEvidence(sample.evidence, sample.collateral, undefined, { now: sample.now });
  const work = fs.mkdtempSync(path.join(root, 'work-'));
  fs.cpSync(path.join(REPO, 'test', 'fixtures', 'wcpac', 'leak'), work, { recursive: true });
  fs.writeFileSync(path.join(work, 'policy.yaml'), `sgx:\n  mrEnclaves: [${claims.measurement}]\n  acceptedTcbStatuses: [${claims.tcbStatus}]\n`);
  fs.writeFileSync(path.join(work, 'owner-key.pem'), o.keyText, { mode: 0o600 });
  const options: Record<string, string | boolean> = {
    policy: path.join(work, 'policy.yaml'),
    signingKey: path.join(work, 'owner-key.pem'),
    collateral: attestationData('sgx', 'v3-dcap', 'collateral.json'),
    verifyAt: sample.now.toISOString(),
    ...o.options(work),
  };
  const opts = Object.entries(options).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
  fs.writeFileSync(path.join(work, 'sealflow.yaml'), `deployments:\n  enclaves: { ${o.connector}, platform: ${o.platform}, workers: 1, ${opts} }\ndefault: enclaves\n`);
  fs.writeFileSync(path.join(work, 'text.txt'), 'recorded evidence run\n');
  return work;
}

/** `sealflow run` of the flow in `work` on its text.txt, state in `work`/state. */
export function runWork(work: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCli(['run', path.join(work, 'flow.yaml'), '--input', `text=${path.join(work, 'text.txt')}`, '--state-dir', path.join(work, 'state'), '--quiet'], { env, cwd: work });
}

/** The attestation decision journalled by the only run under `state`, after checking that no key was released (no evidence, no keys). */
export function attestationDecision(state: string): JournalLine['decision'] {
  const runId = fs.readdirSync(path.join(state, 'runs'))[0] ?? '';
  const journal = fs.readFileSync(path.join(state, 'runs', runId, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalLine);
  assert.equal(journal.some((e) => e.decision?.type === 'key-release'), false, 'no evidence, no keys');
  return journal.find((e) => e.type === 'wcpac' && e.decision?.type === 'attestation')?.decision;
}

/** Checks that the only run under `state` ended with the broker refusing recorded evidence for `reason`, journalled as recorded. */
export function assertRecordedRefusal(state: string, reason: string): void {
  const d = attestationDecision(state);
  assert.equal(d?.decision, 'refused');
  assert.equal(d?.reason, reason, JSON.stringify(d));
  assert.equal(d?.recorded, true, 'judged at the recorded time: journalled as recorded evidence');
}
