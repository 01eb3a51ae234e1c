/**
 * The provisioner's guest evidence providers (src/worker/provisioner/evidence/)
 * reading directories laid out like Gramine's /dev/attestation and Linux
 * configfs-tsm, filled with real evidence from real hardware
 * (shared/testdata/attestation/); the attestation module verifies what they return.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { verifyEvidence } from '../../src/attestation/index.js';
import { gramineEvidence, occlumEvidence, setScratchKey } from '../../src/worker/provisioner/evidence/gramine.js';
import { gramineLaunchPlan } from '../../src/tee/gramine/index.js';
import { parseLaunchConfig } from '../../src/protocol/launch-config.js';
import { alignStep, planRequest } from './fixtures.js';
import { tsmEvidence } from '../../src/worker/provisioner/evidence/configfs-tsm.js';
import { sgxV3Dcap, tdxV4Spr } from '../attestation/intel-fixtures.js';
import { fakeGramineDir, fakeTsm, removeFakeDevices, tmp } from './fake-devices.js';

after(removeFakeDevices);
import { genoaTsm } from '../attestation/snp-samples.js';

describe('guest evidence providers', () => {
  test('gramine: checks attestation_type is dcap, writes the report data, and returns the quote, which verifies', async () => {
    const s = sgxV3Dcap();
    const dir = fakeGramineDir(s.evidence);
    const rd = randomBytes(64);
    const quote = await gramineEvidence(rd, dir);
    assert.deepEqual(readFileSync(path.join(dir, 'user_report_data')), rd);
    const claims = await verifyEvidence(quote, s.collateral, undefined, { now: s.now });
    assert.equal(claims.platform, 'sgx');
  });

  test('gramine: refuses an enclave whose attestation type is not dcap, saying what the manifest must set', async () => {
    await assert.rejects(gramineEvidence(randomBytes(64), fakeGramineDir(Buffer.alloc(10), 'none')), /attestation_type is "none", not "dcap" \(the manifest must set sgx.remote_attestation = "dcap"\)/);
  });

  test('occlum: writes the report data to attestation_report_data and returns attestation_quote', async () => {
    const s = sgxV3Dcap();
    const dir = tmp();
    writeFileSync(path.join(dir, 'attestation_quote'), s.evidence);
    const rd = randomBytes(64);
    const quote = await occlumEvidence(rd, dir);
    assert.deepEqual(readFileSync(path.join(dir, 'attestation_report_data')), rd);
    assert.equal((await verifyEvidence(quote, s.collateral, undefined, { now: s.now })).platform, 'sgx');
  });

  test('configfs-tsm (sev_guest): returns the Genoa report and certificate table as JSON that verifies, and removes its entry', async () => {
    const doc = JSON.parse(Buffer.from(genoaTsm.json).toString('utf8')) as { outblob: string; auxblob: string };
    const { root, fs } = fakeTsm({ outblob: Buffer.from(doc.outblob, 'base64url'), auxblob: Buffer.from(doc.auxblob, 'base64url'), provider: 'sev_guest' });
    const rd = randomBytes(64);
    const evidence = await tsmEvidence(rd, root, fs);
    assert.deepEqual(readdirSync(root), [], 'the report entry is removed');
    const claims = await verifyEvidence(evidence, {}, undefined, { now: genoaTsm.now });
    assert.equal(claims.platform, 'sev-snp');
    assert.equal(claims.measurement, genoaTsm.measurement);
    await assert.rejects(verifyEvidence(evidence, {}, undefined, { now: genoaTsm.now, expectedReportData: rd }), (e: Error & { reason?: string }) => e.reason === 'report-data-mismatch');
  });

  test('configfs-tsm (tdx_guest): returns the TDX quote as it is, and the TDX verifier reaches its documented verdict on it', async () => {
    const s = tdxV4Spr();
    const { root, fs } = fakeTsm({ outblob: s.evidence, provider: 'tdx_guest' });
    const evidence = await tsmEvidence(randomBytes(64), root, fs);
    assert.deepEqual(Buffer.from(evidence), s.evidence);
    // Signatures and chains verify; this real sample's TCB is below every level Intel lists (test/attestation/tdx.test.ts).
    await assert.rejects(verifyEvidence(evidence, s.collateral, undefined, { now: s.now }), (e: Error & { reason?: string }) => e.reason === 'tcb-mismatch');
  });

  test('configfs-tsm: a generation that moved by more than our one write means a concurrent writer, and the report is refused', async () => {
    const { root, fs } = fakeTsm({ outblob: Buffer.from('x'), provider: 'sev_guest' }, 1);
    await assert.rejects(tsmEvidence(randomBytes(64), root, fs), /generation went from 0 to 2, so another writer used it; the report is not ours/);
    assert.equal(existsSync(root) && readdirSync(root).length, 0, 'the entry is removed even then');
  });
});

describe('gramine encrypted scratch', () => {
  test('the plan names the mount\'s key in launch.json, and the provisioner sets it to 16 fresh bytes inside the enclave', async () => {
    const plan = gramineLaunchPlan(planRequest(alignStep(4), { overrides: { scratch: 'encrypted' } }));
    assert.match(plan.files['sealflow-provisioner.manifest.template'] ?? '', /\{ path = "\/scratch", type = "encrypted", uri = "file:scratch", key_name = "sealflow_scratch" \}/);
    assert.doesNotMatch(plan.files['sealflow-provisioner.manifest.template'] ?? '', /insecure__keys/);
    assert.equal(parseLaunchConfig(plan.files['launch.json'] ?? '').scratchKey, 'sealflow_scratch');
    const dir = fakeGramineDir(Buffer.alloc(1));
    mkdirSync(path.join(dir, 'keys'));
    await setScratchKey('sealflow_scratch', dir);
    const k1 = readFileSync(path.join(dir, 'keys', 'sealflow_scratch'));
    await setScratchKey('sealflow_scratch', dir);
    assert.equal(k1.length, 16);
    assert.notDeepEqual(readFileSync(path.join(dir, 'keys', 'sealflow_scratch')), k1, 'a fresh key each start');
  });
});
