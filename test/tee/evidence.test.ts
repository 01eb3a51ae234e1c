/**
 * The provisioner's guest evidence providers (src/worker/provisioner/evidence/)
 * reading directories laid out like Gramine's /dev/attestation and Linux
 * configfs-tsm, filled with real evidence from real hardware
 * (shared/testdata/attestation/); the attestation module verifies what they return.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verifyEvidence } from '../../src/attestation/index.js';
import { gramineEvidence, occlumEvidence } from '../../src/worker/provisioner/evidence/gramine.js';
import { tsmEvidence, type TsmFs } from '../../src/worker/provisioner/evidence/configfs-tsm.js';
import { sgxV3Dcap, tdxV4Spr } from '../attestation/intel-fixtures.js';
import { genoaTsm } from '../attestation/snp-samples.js';

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'sealflow-evidence-'));

/** A fake /dev/attestation holding a recorded quote. */
export function fakeGramineDir(quote: Uint8Array, type = 'dcap'): string {
  const dir = tmp();
  writeFileSync(path.join(dir, 'attestation_type'), `${type}\n`);
  writeFileSync(path.join(dir, 'user_report_data'), Buffer.alloc(64));
  writeFileSync(path.join(dir, 'quote'), quote);
  return dir;
}

/**
 * A configfs-tsm stand-in on a real temporary directory: creating an entry
 * fills it as the kernel would (outblob, auxblob, provider, generation 0);
 * writing inblob bumps generation (and `extraWrites` more, as a concurrent writer would).
 */
export function fakeTsm(blobs: { outblob: Uint8Array; auxblob?: Uint8Array; provider: string }, extraWrites = 0): { root: string; fs: TsmFs } {
  const root = tmp();
  const fs: TsmFs = {
    async mkdir(p) {
      await fsp.mkdir(p);
      await fsp.writeFile(path.join(p, 'outblob'), blobs.outblob);
      if (blobs.auxblob) await fsp.writeFile(path.join(p, 'auxblob'), blobs.auxblob);
      await fsp.writeFile(path.join(p, 'provider'), `${blobs.provider}\n`);
      await fsp.writeFile(path.join(p, 'generation'), '0\n');
    },
    rmdir: (p) => fsp.rm(p, { recursive: true }),
    readFile: (p) => fsp.readFile(p),
    async writeFile(p, b) {
      await fsp.writeFile(p, b);
      if (path.basename(p) === 'inblob') {
        const g = Number(await fsp.readFile(path.join(path.dirname(p), 'generation'), 'latin1'));
        await fsp.writeFile(path.join(path.dirname(p), 'generation'), `${g + 1 + extraWrites}\n`);
      }
    },
  };
  return { root, fs };
}

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
