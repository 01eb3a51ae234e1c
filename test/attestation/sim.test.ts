import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createSimEvidence, SIM_FIELDS, simVerifier } from '../../src/attestation/sim/index.js';
import type { Collateral } from '../../src/attestation/verifier.js';
import { flipByte, refusal, runPolicyContract, runVerifierContract, swapCollateral } from './contract.js';

const root = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const pem = (k: typeof root) => new Uint8Array(Buffer.from(k.publicKey.export({ type: 'spki', format: 'pem' })));
const measurement = new Uint8Array(48).fill(0xab);
const reportData = new Uint8Array(64).fill(0xcd);
const now = new Date('2026-03-01T00:00:00Z');
const evidence = createSimEvidence(root.privateKey, { measurement, reportData, runId: 'run-1', timestamp: now });
const collateral: Collateral = { 'sim-root-key': pem(root) };

const region = (name: keyof typeof SIM_FIELDS, reason?: 'malformed' | 'unsupported-version') => ({
  name,
  start: SIM_FIELDS[name][0],
  end: SIM_FIELDS[name][1],
  ...(reason ? { reason } : {}),
});

runVerifierContract({
  verifier: simVerifier,
  sample: {
    name: 'freshly signed sim evidence',
    evidence,
    collateral,
    now,
    expected: { platform: 'sim', measurement: 'ab'.repeat(48), reportData: 'cd'.repeat(64), tcbStatus: 'NotApplicable', debug: false },
  },
  // The middle of RUN_ID is zero padding, which the parser checks before the signature.
  signedRegions: [region('timestamp'), region('measurement'), region('reportData'), region('runId', 'malformed'), region('rootKeyId')],
  signatureRegions: [region('signature')],
  mutations: [
    swapCollateral('the simulation root key is another key', 'sim-root-key', pem(other), 'bad-signature'),
    swapCollateral('the simulation root key is missing', 'sim-root-key', undefined, 'collateral-missing'),
    swapCollateral('the simulation root key is not a key', 'sim-root-key', new Uint8Array([1, 2, 3]), 'malformed'),
    {
      name: 'the magic is altered',
      reason: 'malformed',
      apply: (s) => ({ ...s, evidence: flipByte(s.evidence, 0) }),
    },
    {
      name: 'the version is unknown',
      reason: 'unsupported-version',
      apply: (s) => ({ ...s, evidence: flipByte(s.evidence, 8) }),
    },
  ],
});

runPolicyContract({ name: 'sim', claims: () => simVerifier.verify(evidence, collateral, { now }) });
runPolicyContract({
  name: 'sim with debug',
  claims: () => simVerifier.verify(createSimEvidence(root.privateKey, { measurement, reportData, runId: 'd', debug: true }), collateral, { now }),
});

test('sim evidence carries the debug flag, run id and timestamp it was created with', async () => {
  const ev = createSimEvidence(root.privateKey, { measurement, reportData: new Uint8Array(3), runId: 'é-run', debug: true, timestamp: now });
  const claims = await simVerifier.verify(ev, collateral, { now });
  assert.equal(claims.platform, 'sim');
  assert.equal(claims.debug, true);
  assert.equal(claims.details['runId'], 'é-run');
  assert.equal(claims.details['timestamp'], now.toISOString());
  assert.equal(claims.reportData, '000000' + '00'.repeat(61));
});

test('sim evidence signed by a key other than the one it names is refused as untrusted', async () => {
  // Sign with `other` but claim `root`'s fingerprint by re-signing: the verifier checks the signature first.
  const ev = createSimEvidence(other.privateKey, { measurement, reportData, runId: 'r' });
  assert.equal(await refusal(simVerifier, { evidence: ev, collateral }, now), 'bad-signature');
});

test('createSimEvidence refuses a root key that is not ECDSA P-384', () => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  assert.throws(() => createSimEvidence(p256.privateKey, { measurement, reportData, runId: 'r' }), /P-384/);
});
