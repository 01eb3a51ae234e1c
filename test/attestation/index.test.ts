import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectEvidence, verifyEvidence } from '../../src/attestation/index.js';
import { AttestationError } from '../../src/attestation/verifier.js';
import { pseudoRandomBytes } from './contract.js';
import { genoaTsm, milanVcek } from './snp-samples.js';

describe('detecting and verifying evidence of any type', () => {
  test('SEV-SNP reports and configfs-tsm JSON are detected as sev-snp', () => {
    assert.equal(detectEvidence(milanVcek.report)?.platform, 'sev-snp');
    assert.equal(detectEvidence(genoaTsm.json)?.platform, 'sev-snp');
    assert.equal(detectEvidence(new Uint8Array(Buffer.from('SEALSIM\0')))?.platform, 'sim');
    const tdxTsm = new Uint8Array(Buffer.from(JSON.stringify({ outblob: 'AAAA', provider: 'tdx_guest\n' })));
    assert.equal(detectEvidence(tdxTsm), undefined, 'configfs-tsm JSON of another provider is not SEV-SNP');
  });

  test('truncated and random inputs are refused as malformed, never with another error', async () => {
    const inputs: Uint8Array[] = [new Uint8Array(0), milanVcek.report.slice(0, 1183), genoaTsm.json.slice(0, 100), new Uint8Array(Buffer.from('{"outblob": 5}')), new Uint8Array(Buffer.from('{"outblob": "AAAA", "auxblob": "!!"}'))];
    for (let seed = 1; seed <= 40; seed++) inputs.push(pseudoRandomBytes(seed * 37, seed));
    for (const input of inputs) {
      await assert.rejects(verifyEvidence(input, {}, undefined, { now: new Date() }), (e: unknown) => e instanceof AttestationError && e.reason === 'malformed', `input of ${input.length} bytes`);
    }
  });

  test('evidence verifies end to end without a policy, and a required platform is enforced', async () => {
    const claims = await verifyEvidence(genoaTsm.json, {}, undefined, { now: genoaTsm.now, platform: 'sev-snp' });
    assert.equal(claims.measurement, genoaTsm.measurement);
    await assert.rejects(verifyEvidence(genoaTsm.json, {}, undefined, { now: genoaTsm.now, platform: 'tdx' }), (e: unknown) => e instanceof AttestationError && e.reason === 'policy-violation');
  });
});
