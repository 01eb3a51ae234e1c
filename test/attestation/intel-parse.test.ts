/**
 * Parsers of src/attestation/intel: quote layouts (v3 real; SGX v4/v5 and
 * TDX v5 type 2 built here with a generated attestation key, since no real
 * sample exists), signed-JSON extraction, PEM chains and PCK extensions.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { parseChain } from '../../src/attestation/intel/certs.js';
import { parsePckExtensions } from '../../src/attestation/intel/pck-extensions.js';
import { parseQuote, sniffQuote } from '../../src/attestation/intel/quote.js';
import { readSignedJson, topLevelValueSpans } from '../../src/attestation/intel/signed-json.js';
import { verifyQeReport, verifyQuoteSignature } from '../../src/attestation/intel/steps.js';
import { sgxDcapVerifier } from '../../src/attestation/sgx-dcap/index.js';
import { tdxVerifier } from '../../src/attestation/tdx/index.js';
import { AttestationError } from '../../src/attestation/verifier.js';
import { sgxV3Dcap, tdxV4Spr } from './intel-fixtures.js';
import { pckChainDers } from './intel-quote-edit.js';
import { reasonOf } from './reason.js';


const u16 = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

interface Built {
  readonly quote: Buffer;
  readonly pck: X509Certificate;
}

/**
 * A quote in the v4/v5 layout (SGX ECDSA QL API / TDX DCAP QL API Appendix A)
 * signed by a generated attestation key, reusing the real QE report section
 * of the v4 sample (so its QE report signature stays Intel's, but its report
 * data does not bind the generated key).
 */
function buildQuote(version: 4 | 5, tee: 'sgx' | 'tdx', bodyType?: number): Built {
  const real = parseQuote(tdxV4Spr().evidence);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const attKey = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const header = Buffer.concat([u16(version), u16(2), u32(tee === 'sgx' ? 0 : 0x81), Buffer.alloc(4), Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex'), Buffer.alloc(20)]);
  const bodyLen = tee === 'sgx' ? 384 : bodyType === 3 ? 648 : 584;
  const body = Buffer.alloc(bodyLen, 0x11);
  const descriptor = version === 5 ? Buffer.concat([u16(bodyType ?? (tee === 'sgx' ? 1 : 2)), u32(bodyLen)]) : Buffer.alloc(0);
  const signed = Buffer.concat([header, descriptor, body]);
  const signature = sign('sha256', signed, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const pem = Buffer.from(real.pckChainPem);
  const inner = Buffer.concat([real.qeReportRaw, real.qeReportSignature, u16(real.qeAuthData.length), real.qeAuthData, u16(5), u32(pem.length), pem]);
  const sigData = Buffer.concat([signature, attKey, u16(6), u32(inner.length), inner]);
  return { quote: Buffer.concat([signed, u32(sigData.length), sigData]), pck: new X509Certificate(pckChainDers(tdxV4Spr().evidence)[0]!) };
}

describe('quote layouts', () => {
  for (const [version, tee, type, kind] of [
    [4, 'sgx', undefined, 'sgx'],
    [5, 'sgx', 1, 'sgx'],
    [5, 'tdx', 2, 'td10'],
    [5, 'tdx', 3, 'td15'],
  ] as const) {
    test(`parses a ${tee.toUpperCase()} quote v${version}${type ? ` body type ${type}` : ''} and checks its signature over header, descriptor and body`, () => {
      const { quote, pck } = buildQuote(version, tee, type);
      assert.equal(sniffQuote(quote, tee), true);
      assert.equal(sniffQuote(quote, tee === 'sgx' ? 'tdx' : 'sgx'), false);
      const q = parseQuote(quote);
      assert.equal(q.header.version, version);
      assert.equal(q.body.kind, kind);
      assert.equal(reasonOf(() => verifyQuoteSignature(q)), 'accepted');
      assert.equal(reasonOf(() => verifyQuoteSignature(parseQuote(Buffer.concat([quote.subarray(0, 60), Buffer.from([quote[60]! ^ 1]), quote.subarray(61)])))), 'bad-signature');
      // The borrowed QE report is Intel's, but it binds another attestation key.
      assert.equal(reasonOf(() => verifyQeReport(q, pck)), 'bad-signature');
    });
  }

  test('a v5 body type that contradicts the TEE type is malformed; an unknown one unsupported', () => {
    assert.equal(reasonOf(() => parseQuote(buildQuote(5, 'sgx', 2).quote)), 'malformed');
    assert.equal(reasonOf(() => parseQuote(buildQuote(5, 'tdx', 9).quote)), 'unsupported-version');
  });

  test('ECDSA-384 attestation keys are unsupported; undefined key types are not a quote', () => {
    const q = Buffer.from(sgxV3Dcap().evidence);
    q.writeUInt16LE(3, 2);
    assert.equal(reasonOf(() => parseQuote(q)), 'unsupported-version');
    q.writeUInt16LE(7, 2);
    assert.equal(reasonOf(() => parseQuote(q)), 'malformed');
  });

  test('a quote without the PCK chain (certification data type 3, encrypted PPID) is unsupported', () => {
    const q = Buffer.from(sgxV3Dcap().evidence);
    const pemAt = q.indexOf('-----BEGIN');
    q.writeUInt16LE(3, pemAt - 6);
    assert.equal(reasonOf(() => parseQuote(q)), 'unsupported-version');
  });

  test('unsigned bytes after the signature data are ignored and counted; bytes inside it are not', async () => {
    const s = sgxV3Dcap();
    const padded = Buffer.concat([s.evidence, Buffer.from('trailer')]);
    assert.equal(parseQuote(padded).trailingBytes, 7);
    assert.equal((await sgxDcapVerifier.verify(padded, s.collateral, { now: s.now })).platform, 'sgx');
    const sigLenAt = 432;
    const grown = Buffer.from(padded);
    grown.writeUInt32LE(grown.readUInt32LE(sigLenAt) + 7, sigLenAt);
    assert.equal(reasonOf(() => parseQuote(grown)), 'malformed');
  });

  test('TDX and SGX verifiers each claim only their own quotes', () => {
    assert.equal(tdxVerifier.sniff(buildQuote(5, 'tdx').quote), true);
    assert.equal(sgxDcapVerifier.sniff(buildQuote(5, 'tdx').quote), false);
    assert.equal(sgxDcapVerifier.sniff(buildQuote(4, 'sgx').quote), true);
  });
});

describe('signed JSON', () => {
  test('cuts the exact value text of a member, whatever the whitespace and escapes around it', () => {
    const text = '{ "a" : [1, {"b":"x}\\"]"}] ,\n "tcbInfo" :{"k":"v\\u0041"} , "signature":"00"}';
    const spans = topLevelValueSpans(text);
    const [s, e] = spans.get('tcbInfo')!;
    assert.equal(text.slice(s, e), '{"k":"v\\u0041"}');
    const [as, ae] = spans.get('a')!;
    assert.equal(text.slice(as, ae), '[1, {"b":"x}\\"]"}]');
  });

  test('a PCS response and the bare JSON with a separate signature give the same signed bytes, and both verify', async () => {
    const s = sgxV3Dcap();
    const bare = Buffer.from(s.collateral['tcb-info']!).toString('utf8');
    const sigHex = Buffer.from(s.collateral['tcb-info-signature']!).toString('hex');
    const response = Buffer.from(`{"tcbInfo":${bare},"signature":"${sigHex}"}`);
    const a = readSignedJson(response, undefined, 'tcbInfo', 'r');
    const b = readSignedJson(s.collateral['tcb-info']!, s.collateral['tcb-info-signature'], 'tcbInfo', 'b');
    assert.deepEqual(Buffer.from(a.signed), Buffer.from(b.signed));
    const { 'tcb-info-signature': _unused, ...rest } = s.collateral;
    const claims = await sgxDcapVerifier.verify(s.evidence, { ...rest, 'tcb-info': response }, { now: s.now });
    assert.equal(claims.tcbStatus, 'ConfigurationAndSWHardeningNeeded');
  });

  test('non-JSON, non-object and badly signed documents are malformed', () => {
    for (const bad of ['', 'nope', '[1,2]', '{"tcbInfo":{},"signature":42}', '{"tcbInfo":{},"signature":"abcd"}']) {
      assert.equal(reasonOf(() => readSignedJson(Buffer.from(bad), undefined, 'tcbInfo', 't')), 'malformed', bad);
    }
  });
});

describe('PCK certificate chain and SGX extensions', () => {
  test('reads PPID, TCB components, PCESVN, PCE-ID, FMSPC and SGX type of the v4 sample PCK', () => {
    const [pck] = parseChain(parseQuote(tdxV4Spr().evidence).pckChainPem, 'chain');
    const ext = parsePckExtensions(pck!);
    assert.deepEqual(ext, {
      ppid: '089ddfdb9c0359c82a3bc7719239574e',
      cpuSvnComponents: [3, 3, 2, 2, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0],
      pceSvn: 11,
      cpuSvn: '03030202020100020000000000000000',
      pceId: '0000',
      fmspc: '50806f000000',
      sgxType: 'Scalable',
    });
  });

  test('a certificate without the SGX extension is malformed as a PCK certificate', () => {
    const [, ca] = parseChain(parseQuote(tdxV4Spr().evidence).pckChainPem, 'chain');
    assert.equal(reasonOf(() => parsePckExtensions(ca!)), 'malformed');
  });

  test('PEM chains tolerate trailing NUL and whitespace but no other text', () => {
    const pem = Buffer.from(parseQuote(tdxV4Spr().evidence).pckChainPem).toString('latin1');
    assert.equal(parseChain(`${pem}\n\0`, 'c').length, 3);
    assert.equal(reasonOf(() => parseChain(`${pem}x`, 'c')), 'malformed');
    assert.equal(reasonOf(() => parseChain('no certificates here', 'c')), 'malformed');
  });

  test('the attestation key digest binds key and QE authentication data (SHA-256)', () => {
    const q = parseQuote(sgxV3Dcap().evidence);
    const digest = createHash('sha256').update(q.attestationKey).update(q.qeAuthData).digest();
    assert.deepEqual(Buffer.from(q.qeReport.reportData.subarray(0, 32)), digest);
  });
});

describe('robustness (the parsers themselves, without the verifier adapter\'s safety net)', () => {
  const samples = [sgxV3Dcap(), tdxV4Spr()];
  test('random byte mutations of quotes and collateral only ever raise AttestationError', async () => {
    const { verifyIntelQuote } = await import('../../src/attestation/intel/verify.js');
    let seed = 7;
    const next = (): number => {
      seed ^= seed << 13;
      seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return seed;
    };
    for (const s of samples) {
      const tee = s.name.startsWith('tdx') ? 'tdx' : 'sgx';
      const keys = Object.keys(s.collateral) as (keyof typeof s.collateral)[];
      for (let i = 0; i < 300; i++) {
        const evidence = new Uint8Array(s.evidence);
        const collateral = { ...s.collateral };
        if (i % 2 === 0) {
          for (let k = 0; k < 1 + (next() % 4); k++) evidence[next() % evidence.length] = next() & 0xff;
        } else {
          const key = keys[next() % keys.length]!;
          const item = new Uint8Array(collateral[key]!);
          for (let k = 0; k < 1 + (next() % 4); k++) item[next() % item.length] = next() & 0xff;
          collateral[key] = item;
        }
        try {
          verifyIntelQuote(evidence, collateral, s.now, tee);
        } catch (e) {
          assert.ok(e instanceof AttestationError, `${s.name} mutation ${i}: ${(e as Error).stack}`);
        }
      }
    }
  });
});
