/**
 * The shared contract every `EvidenceVerifier` runs (hono-style: each
 * verifier's test file calls `runVerifierContract` once per real sample).
 *
 * What it checks, for one genuine sample:
 * - acceptance: `sniff` recognises it and `verify` returns the expected
 *   platform, measurement, report data, TCB status and debug flag, and claims
 *   that survive a JSON round trip;
 * - one flipped byte in each signed field group (`signedRegions`) and in each
 *   signature (`signatureRegions`) is refused with the region's reason
 *   (default `bad-signature`), and a sweep flipping every 5th byte of all
 *   those regions is always refused with some reason;
 * - one flipped byte in the signature of each collateral certificate
 *   (`certificates`) is refused (default `chain-untrusted`), and a sweep
 *   flipping every 7th byte of it is always refused with some reason;
 * - extra named `mutations` (swapped vendor certificates, missing collateral,
 *   certificates embedded in the evidence…) are refused with their reason;
 * - the clock moved past expiry / before validity (`clock`) is refused;
 * - truncated inputs and random bytes give `malformed` — never a crash, never
 *   an error that is not an `AttestationError`.
 *
 * Usage (see test/attestation/sev-snp.test.ts and sim.test.ts):
 *
 *   runVerifierContract({
 *     verifier: snpVerifier,
 *     sample: { name: 'milan-v2-vcek', evidence, collateral: { vcek }, now,
 *               expected: { platform: 'sev-snp', measurement, reportData, tcbStatus: 'NotApplicable', debug: true } },
 *     signedRegions: [{ name: 'MEASUREMENT', start: 0x90, end: 0xc0 }, { name: 'VERSION', start: 0, end: 4, reason: 'malformed' }],
 *     signatureRegions: [{ name: 'R', start: 0x2a0, end: 0x2e8 }],
 *     certificates: [{ name: 'VCEK', collateral: 'vcek' }],
 *     mutations: [swapCollateral('Genoa ASK/ARK', 'ask-ark', genoaPem, 'chain-untrusted')],
 *     clock: { expired: { at: new Date('2031-01-01'), reason: 'cert-expired' } },
 *   });
 *
 * `runPolicyContract({ name, claims: () => verifier.verify(...) })` is the
 * policy half (see its doc below): the narrowest policy accepts, a wrong report
 * data, the default policy, a forbidden measurement and debug are refused.
 *
 * When the signed bytes sit inside an encoding (base64 in JSON, say), pass
 * `body: { bytes, wrap }`: region offsets then index `bytes`, and each mutated
 * body is turned back into evidence with `wrap(mutatedBody)`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AttestationError, type Claims, type Collateral, type CollateralName, type EvidenceVerifier, type Platform, type ReasonCode, type TcbStatus } from '../../src/attestation/verifier.js';
import { certificatesIn, derToPem } from '../../src/attestation/bytes.js';
import { applyPolicy, DEFAULT_POLICY, definePolicy, policyAllowing } from '../../src/attestation/policy.js';
import { reasonOf } from './reason.js';

/** Stride of the byte-flipping sweep over each collateral certificate. */
const CERT_STRIDE = 7;
/** Stride of the byte-flipping sweep over the signed fields and signatures. */
const BODY_STRIDE = 5;

export interface ContractSample {
  /** Used in test names, e.g. 'milan-v2-vcek'. */
  readonly name: string;
  readonly evidence: Uint8Array;
  readonly collateral: Collateral;
  /** The pinned verification time. */
  readonly now: Date;
  readonly expected: {
    readonly platform: Platform;
    readonly measurement: string;
    readonly reportData: string;
    readonly tcbStatus: TcbStatus;
    readonly debug: boolean;
  };
}

/** Bytes [start, end) of the evidence (or of `body`); the contract flips the middle byte. */
export interface Region {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** Default `bad-signature`. Use e.g. `unsupported-version` for a version field. */
  readonly reason?: ReasonCode;
}

/** A certificate held in collateral (DER, or the `index`-th of a PEM bundle). */
export interface CertificateTarget {
  readonly name: string;
  readonly collateral: CollateralName;
  /** Position in a PEM bundle; default 0. */
  readonly index?: number;
  /** Default `chain-untrusted`. */
  readonly reason?: ReasonCode;
  /**
   * Also flip every 7th byte and expect a refusal each time (default true).
   * Set false for a certificate the verifier may legitimately ignore, e.g. a
   * copy of a pinned root at the end of an issuer chain — and say why.
   */
  readonly sweep?: boolean;
}

export interface SampleInput {
  readonly evidence: Uint8Array;
  readonly collateral: Collateral;
}

export interface Mutation {
  readonly name: string;
  apply(input: SampleInput): SampleInput;
  /** The reason expected; a list means any of them (use sparingly, say why). */
  readonly reason: ReasonCode | readonly ReasonCode[];
  /** Verify at this time instead of the sample's. */
  readonly at?: Date;
}

export interface ContractOptions {
  readonly verifier: EvidenceVerifier;
  readonly sample: ContractSample;
  readonly signedRegions: readonly Region[];
  readonly signatureRegions: readonly Region[];
  readonly certificates?: readonly CertificateTarget[];
  readonly mutations?: readonly Mutation[];
  readonly clock?: {
    readonly expired?: { readonly at: Date; readonly reason: ReasonCode };
    readonly notYetValid?: { readonly at: Date; readonly reason: ReasonCode };
  };
  /** The signed structure inside the evidence, when the evidence is an encoding of it. */
  readonly body?: { readonly bytes: Uint8Array; wrap(body: Uint8Array): Uint8Array };
  /** Evidence of other types that `sniff` must not claim. */
  readonly foreignEvidence?: readonly Uint8Array[];
  /** Truncation lengths to try; default 0, 1, 2, 8, 64, len/2, len-1. */
  readonly truncations?: readonly number[];
}

/** Flip every bit of one byte (a copy). */
export function flipByte(bytes: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(bytes);
  if (offset < 0 || offset >= out.length) throw new RangeError(`flipByte: offset ${offset} outside 0..${out.length - 1}`);
  out[offset] = (out[offset] ?? 0) ^ 0xff;
  return out;
}

/** A mutation that replaces (or, with `undefined`, removes) one collateral item. */
export function swapCollateral(name: string, key: CollateralName, value: Uint8Array | undefined, reason: ReasonCode): Mutation {
  return {
    name,
    reason,
    apply: ({ evidence, collateral }) => {
      const c: Collateral = { ...collateral };
      if (value === undefined) delete c[key];
      else c[key] = value;
      return { evidence, collateral: c };
    },
  };
}

/**
 * Flip a byte of a certificate's signature: the last byte of the DER, which is
 * always inside the signatureValue BIT STRING, so the certificate still parses.
 */
export function breakCertificateSignature(item: Uint8Array, index = 0): Uint8Array {
  const ders = certificatesIn(item);
  const der = ders[index];
  if (der === undefined) throw new RangeError(`breakCertificateSignature: no certificate #${index}`);
  const broken = flipByte(der, der.length - 1);
  const isPem = Buffer.from(item).toString('latin1').includes('-----BEGIN CERTIFICATE-----');
  if (!isPem) return broken;
  ders[index] = broken;
  return new Uint8Array(Buffer.from(ders.map((d) => derToPem(d)).join(''), 'latin1'));
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Run `verify` and return the reason it refused with; fails the test on acceptance or on a non-AttestationError. */
export async function refusal(verifier: EvidenceVerifier, input: SampleInput, now: Date): Promise<ReasonCode> {
  let claims: Claims;
  try {
    claims = await verifier.verify(input.evidence, input.collateral, { now });
  } catch (err) {
    if (err instanceof AttestationError) return err.reason;
    throw new Error(`verifier threw something other than AttestationError: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
  throw new Error(`verifier accepted input it should refuse (measurement ${claims.measurement})`);
}

function assertReason(got: ReasonCode, want: ReasonCode | readonly ReasonCode[], what: string): void {
  const wanted: readonly ReasonCode[] = typeof want === 'string' ? [want] : want;
  assert.ok(wanted.includes(got), `${what}: refused with "${got}", expected ${wanted.map((w) => `"${w}"`).join(' or ')}`);
}

export function runVerifierContract(opts: ContractOptions): void {
  const { verifier, sample } = opts;
  const base: SampleInput = { evidence: sample.evidence, collateral: sample.collateral };
  const withBody = (mutated: Uint8Array): Uint8Array => (opts.body ? opts.body.wrap(mutated) : mutated);
  const bodyBytes = opts.body?.bytes ?? sample.evidence;

  describe(`${verifier.platform} verifier contract: ${sample.name}`, () => {
    test('recognises the genuine evidence and accepts it with the expected claims', async () => {
      assert.equal(verifier.sniff(sample.evidence), true, 'sniff must recognise the sample');
      const claims = await verifier.verify(sample.evidence, sample.collateral, { now: sample.now });
      assert.equal(claims.platform, sample.expected.platform);
      assert.equal(claims.measurement, sample.expected.measurement);
      assert.equal(claims.reportData, sample.expected.reportData);
      assert.equal(claims.tcbStatus, sample.expected.tcbStatus);
      assert.equal(claims.debug, sample.expected.debug);
      assert.deepEqual(JSON.parse(JSON.stringify(claims)), claims, 'claims must be plain JSON data');
    });

    test('does not claim evidence of other types or empty input', () => {
      assert.equal(verifier.sniff(new Uint8Array(0)), false);
      for (const other of opts.foreignEvidence ?? []) assert.equal(verifier.sniff(other), false);
    });

    for (const r of opts.signedRegions) {
      test(`refuses evidence with one flipped byte in signed field ${r.name}`, async () => {
        const at = r.start + Math.floor((r.end - r.start) / 2);
        const got = await refusal(verifier, { ...base, evidence: withBody(flipByte(bodyBytes, at)) }, sample.now);
        assertReason(got, r.reason ?? 'bad-signature', `flipped byte 0x${at.toString(16)} in ${r.name}`);
      });
    }

    test(`refuses evidence with any byte of a signed field or signature flipped (every ${BODY_STRIDE}th byte tried), never crashing`, async () => {
      for (const r of [...opts.signedRegions, ...opts.signatureRegions]) {
        for (let at = r.start; at < r.end; at += BODY_STRIDE) {
          await refusal(verifier, { ...base, evidence: withBody(flipByte(bodyBytes, at)) }, sample.now);
        }
      }
    });

    for (const r of opts.signatureRegions) {
      test(`refuses evidence with one flipped byte in signature ${r.name}`, async () => {
        for (const at of [r.start, r.end - 1]) {
          const got = await refusal(verifier, { ...base, evidence: withBody(flipByte(bodyBytes, at)) }, sample.now);
          assertReason(got, r.reason ?? 'bad-signature', `flipped byte 0x${at.toString(16)} in ${r.name}`);
        }
      });
    }

    for (const c of opts.certificates ?? []) {
      test(`refuses evidence whose ${c.name} certificate has a flipped signature byte`, async () => {
        const item = sample.collateral[c.collateral];
        assert.ok(item, `collateral "${c.collateral}" is missing from the sample`);
        const collateral: Collateral = { ...sample.collateral, [c.collateral]: breakCertificateSignature(item, c.index ?? 0) };
        assertReason(await refusal(verifier, { ...base, collateral }, sample.now), c.reason ?? 'chain-untrusted', c.name);
      });
    }

    for (const c of (opts.certificates ?? []).filter((t) => t.sweep !== false)) {
      test(`refuses evidence when any byte of the ${c.name} certificate is flipped (every ${CERT_STRIDE}th byte tried), never crashing`, async () => {
        const item = sample.collateral[c.collateral];
        assert.ok(item, `collateral "${c.collateral}" is missing from the sample`);
        const ders = certificatesIn(item);
        const der = ders[c.index ?? 0];
        assert.ok(der, `no certificate #${c.index ?? 0} in collateral "${c.collateral}"`);
        const isPem = Buffer.from(item).toString('latin1').includes('-----BEGIN CERTIFICATE-----');
        for (let at = 0; at < der.length; at += CERT_STRIDE) {
          const copy = ders.slice();
          copy[c.index ?? 0] = flipByte(der, at);
          const bytes = isPem ? new Uint8Array(Buffer.from(copy.map((d) => derToPem(d)).join(''), 'latin1')) : (copy[0] as Uint8Array);
          await refusal(verifier, { ...base, collateral: { ...sample.collateral, [c.collateral]: bytes } }, sample.now);
        }
      });
    }

    for (const m of opts.mutations ?? []) {
      test(`refuses evidence when ${m.name}`, async () => {
        assertReason(await refusal(verifier, m.apply(base), m.at ?? sample.now), m.reason, m.name);
      });
    }

    const { expired, notYetValid } = opts.clock ?? {};
    if (expired) {
      test(`refuses evidence verified after its certificates or collateral expire (${expired.at.toISOString()})`, async () => {
        assertReason(await refusal(verifier, base, expired.at), expired.reason, 'clock past expiry');
      });
    }
    if (notYetValid) {
      test(`refuses evidence verified before its certificates or collateral are valid (${notYetValid.at.toISOString()})`, async () => {
        assertReason(await refusal(verifier, base, notYetValid.at), notYetValid.reason, 'clock before validity');
      });
    }

    test('gives "malformed" for truncated evidence, never a crash', async () => {
      const n = sample.evidence.length;
      const lengths = opts.truncations ?? [0, 1, 2, 8, 64, Math.floor(n / 2), n - 1];
      for (const len of lengths) {
        if (len < 0 || len >= n) continue;
        const got = await refusal(verifier, { ...base, evidence: sample.evidence.slice(0, len) }, sample.now);
        assertReason(got, 'malformed', `evidence truncated to ${len} bytes`);
      }
    });

    test('gives "malformed" for random bytes, never a crash', async () => {
      const n = sample.evidence.length;
      let seed = 1;
      for (const len of [1, 7, 100, 1000, n, n + 1, 4096]) {
        const got = await refusal(verifier, { ...base, evidence: pseudoRandomBytes(len, seed++) }, sample.now);
        assertReason(got, 'malformed', `${len} random bytes`);
      }
    });
  });
}

/**
 * The policy side of the contract, for one verified sample's claims:
 * - the narrowest policy allowing these claims (`policyAllowing`) accepts them,
 *   with the right report data, and refuses a wrong one (`report-data-mismatch`);
 * - the default policy refuses them (`measurement-not-allowed`, or
 *   `tcb-not-accepted` when the TCB status is not UpToDate);
 * - a policy that forbids the measurement refuses them;
 * - debug evidence is refused (`debug-not-allowed`) when only debug is not allowed;
 * - sim claims are refused (`simulated-not-allowed`) without `allowSimulated`.
 *
 *   runPolicyContract({ name: 'tdx v4-spr', claims: () => tdxVerifier.verify(quote, collateral, { now }) });
 */
export function runPolicyContract(opts: { readonly name: string; claims(): Promise<Claims> }): void {
  const reason = reasonOf;
  describe(`policy contract: ${opts.name}`, () => {
    test('the policy allowing exactly these claims accepts them, with their report data', async () => {
      const c = await opts.claims();
      assert.equal(reason(() => applyPolicy(c, policyAllowing(c), { expectedReportData: c.reportData })), 'accepted');
    });

    test('a wrong expected report data is refused with report-data-mismatch', async () => {
      const c = await opts.claims();
      const wrong = flipByte(new Uint8Array(Buffer.from(c.reportData, 'hex')), 0);
      assert.equal(reason(() => applyPolicy(c, policyAllowing(c), { expectedReportData: wrong })), 'report-data-mismatch');
    });

    test('the default policy refuses them', async () => {
      const c = await opts.claims();
      const want: ReasonCode = c.tcbStatus === 'UpToDate' || c.tcbStatus === 'NotApplicable' ? 'measurement-not-allowed' : 'tcb-not-accepted';
      assert.equal(reason(() => applyPolicy(c, DEFAULT_POLICY)), want);
    });

    test('a policy that forbids the measurement refuses them', async () => {
      const c = await opts.claims();
      const p = policyAllowing(c);
      const other = 'ff'.repeat(c.measurement.length / 2);
      const forbid = definePolicy({
        ...p,
        'sev-snp': { ...p['sev-snp'], measurements: [other] },
        tdx: { ...p.tdx, measurements: p.tdx.measurements.map((m) => ({ ...m, mrtd: other })) },
        sgx: { ...p.sgx, mrEnclaves: [other] },
        sim: { ...p.sim, measurements: [other] },
      });
      assert.equal(reason(() => applyPolicy(c, forbid)), 'measurement-not-allowed');
    });

    test('debug evidence is refused when the policy does not allow debug; sim needs allowSimulated', async () => {
      const c = await opts.claims();
      const p = policyAllowing(c);
      const noDebug = definePolicy({
        ...p,
        'sev-snp': { ...p['sev-snp'], allowDebug: false },
        tdx: { ...p.tdx, allowDebug: false },
        sgx: { ...p.sgx, allowDebug: false },
        sim: { ...p.sim, allowDebug: false },
      });
      const want = c.debug ? 'debug-not-allowed' : 'accepted';
      assert.equal(reason(() => applyPolicy(c, noDebug)), want);
      if (c.platform === 'sim') assert.equal(reason(() => applyPolicy(c, { ...p, allowSimulated: false })), 'simulated-not-allowed');
    });
  });
}
