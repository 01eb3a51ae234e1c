/**
 * Attestation verification throughput: SEV-SNP (raw report + VCEK, and
 * configfs-tsm JSON with its certificate table) and sim, warm (parsed
 * certificates and verified chain links cached, as in a long-running master)
 * cold (caches cleared before every verification), and the realistic middle:
 * a VCEK never seen before with the AMD roots already parsed. The same-run baseline
 * is the bare node:crypto work an SNP verification cannot avoid: one ECDSA
 * P-384 verify of the report plus the three RSA-PSS certificate checks.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/attestation/main.js [seconds-per-case]
 */
import { generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { snpVerifier } from '../../src/attestation/sev-snp/index.js';
import { createSimEvidence, simVerifier } from '../../src/attestation/sim/index.js';
import { clearCertificateCache } from '../../src/attestation/x509.js';
import { clearChainCache } from '../../src/attestation/sev-snp/chain.js';
import { pemToDers } from '../../src/attestation/bytes.js';
import type { Collateral } from '../../src/attestation/verifier.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/attestation/main.js [seconds-per-case]

Measures attestation verification throughput, verifications per second, in one process: SEV-SNP (a raw
report + VCEK, and configfs-tsm JSON with its certificate table) and sim evidence, warm (certificates
and chain links cached, as in a long-running master), cold (caches cleared before each verification)
and a VCEK never seen before with the AMD roots already parsed; beside its floor, the bare node:crypto
work an SNP verification cannot avoid (one ECDSA P-384 verify and three RSA-PSS certificate checks).
Uses recorded evidence (testdata); no TEE is needed or measured.`);

const seconds = Number(process.argv[2] ?? '2');
const shared = [process.env['SEALFLOW_SHARED'], path.resolve('..', 'shared'), '/work/shared'].find((p): p is string => !!p && existsSync(p));
if (!shared) throw new Error('shared/ test data not found (set SEALFLOW_SHARED)');
const snp = (...p: string[]) => new Uint8Array(readFileSync(path.join(shared, 'testdata', 'attestation', 'sev-snp', ...p)));

async function measure(name: string, once: () => Promise<unknown> | unknown): Promise<void> {
  for (let i = 0; i < 20; i++) await once(); // warm-up (JIT)
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    await once();
    n++;
    now = process.hrtime.bigint();
  }
  const ms = Number(now - start) / 1e6 / n;
  console.log(`${name.padEnd(58)} ${(1000 / ms).toFixed(0).padStart(7)} /s  ${ms.toFixed(3).padStart(8)} ms/verification`);
}

const report = snp('milan-v2-vcek', 'report.bin');
const vcek = snp('milan-v2-vcek', 'vcek.der');
const milanNow = { now: new Date('2025-01-01T00:00:00Z') };
const tsm = snp('genoa-v3-configfs-tsm', 'tsm-report.json');
const genoaNow = { now: new Date('2026-01-01T00:00:00Z') };
const cold = () => {
  clearCertificateCache();
  clearChainCache();
};

// Baseline: the unavoidable crypto, with certificates already parsed.
const [askDer, arkDer] = pemToDers(readFileSync(path.join(shared, 'testdata/attestation/sev-snp/roots/ask_ark_milan.pem'), 'utf8'));
const ask = new X509Certificate(askDer as Uint8Array);
const ark = new X509Certificate(arkDer as Uint8Array);
const vc = new X509Certificate(vcek);
const sig = new Uint8Array([...report.subarray(0x2a0, 0x2d0)].reverse().concat([...report.subarray(0x2e8, 0x318)].reverse()));

const root = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const simEv = createSimEvidence(root.privateKey, { measurement: new Uint8Array(48), reportData: new Uint8Array(64), runId: 'bench' });
const simCol: Collateral = { 'sim-root-key': new Uint8Array(Buffer.from(root.publicKey.export({ type: 'spki', format: 'pem' }))) };

console.log(`# sealflow attestation benchmark (${seconds} s per case, node ${process.version})`);
await measure('baseline: bare node:crypto (1 ECDSA P-384 + 3 RSA-PSS)', () => {
  if (!verify('sha384', report.subarray(0, 0x2a0), { key: vc.publicKey, dsaEncoding: 'ieee-p1363' }, sig)) throw new Error('baseline');
  if (!vc.verify(ask.publicKey) || !ask.verify(ark.publicKey) || !ark.verify(ark.publicKey)) throw new Error('baseline');
});
await measure('sev-snp milan-v2 report + VCEK, warm caches', () => snpVerifier.verify(report, { vcek }, milanNow));
await measure('sev-snp milan-v2 report + VCEK, cold (no caches)', () => {
  cold();
  return snpVerifier.verify(report, { vcek }, milanNow);
});
const rootFps = [ask, ark].map((c) => c.fingerprint256.replace(/:/g, '').toLowerCase());
await measure('sev-snp milan-v2 report + new VCEK (AMD roots parsed once)', () => {
  clearCertificateCache(rootFps);
  clearChainCache();
  return snpVerifier.verify(report, { vcek }, milanNow);
});
await measure('sev-snp genoa-v3 configfs-tsm JSON + auxblob, warm caches', () => snpVerifier.verify(tsm, {}, genoaNow));
await measure('sev-snp genoa-v3 configfs-tsm JSON + auxblob, cold', () => {
  cold();
  return snpVerifier.verify(tsm, {}, genoaNow);
});
await measure('sim evidence (ECDSA P-384)', () => simVerifier.verify(simEv, simCol, milanNow));
