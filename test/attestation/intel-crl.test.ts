/**
 * CRL handling (src/attestation/intel/crl.ts): the real Intel CRLs of the
 * samples, and CRLs from a throw-away CA generated here to exercise serial
 * lookup, signature and freshness. The verifier's trust stays pinned: these
 * test CRLs are checked with the crl.ts functions directly.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { checkCrlFreshness, checkNotRevoked, crlIssuedBy, parseCrl, verifyCrlSignature } from '../../src/attestation/intel/crl.js';
import { trustAnchor } from '../../src/attestation/intel/certs.js';
import { sgxV3Dcap, tdxV4Spr } from './intel-fixtures.js';
import { pckChainDers } from './intel-quote-edit.js';
import { makeCrl, makeTestCa, serialOf } from './intel-test-pki.js';
import { reasonOf } from './reason.js';


describe('real Intel CRLs', () => {
  for (const s of [tdxV4Spr(), sgxV3Dcap()]) {
    test(`${s.name}: the PCK CRL is issued and signed by the quote's PCK CA, fresh, and does not list the PCK`, () => {
      const [pckDer, caDer] = pckChainDers(s.evidence);
      const ca = new X509Certificate(caDer!);
      const crl = parseCrl(s.collateral['pck-crl']!, 'pck-crl');
      assert.equal(crlIssuedBy(crl, ca), true);
      assert.equal(reasonOf(() => verifyCrlSignature(crl, ca)), 'accepted');
      assert.equal(reasonOf(() => checkCrlFreshness(crl, s.now)), 'accepted');
      assert.equal(reasonOf(() => checkNotRevoked(crl, [new X509Certificate(pckDer!)])), 'accepted');
    });
    test(`${s.name}: the root CA CRL is signed by the pinned Intel SGX Root CA`, () => {
      const crl = parseCrl(s.collateral['root-ca-crl']!, 'root-ca-crl');
      const root = trustAnchor(undefined);
      assert.equal(crlIssuedBy(crl, root), true);
      assert.equal(reasonOf(() => verifyCrlSignature(crl, root)), 'accepted');
    });
  }
  test('the v4 sample PCK CRL lists revoked serials', () => {
    assert.ok(parseCrl(tdxV4Spr().collateral['pck-crl']!, 'pck-crl').revoked.size > 0);
  });
  test('a CRL is not accepted with a key other than its issuer\'s', () => {
    const crl = parseCrl(tdxV4Spr().collateral['pck-crl']!, 'pck-crl');
    assert.equal(reasonOf(() => verifyCrlSignature(crl, trustAnchor(undefined))), 'bad-signature');
  });
});

describe('serial lookup, signature and freshness with a generated CA', () => {
  const ca = makeTestCa();
  const pck = new X509Certificate(pckChainDers(tdxV4Spr().evidence)[0]!);
  const other = new X509Certificate(pckChainDers(sgxV3Dcap().evidence)[0]!);
  const der = makeCrl({ issuer: ca.name, key: ca.key, revokedSerials: [serialOf(pck.raw)], nextUpdate: new Date('2030-01-01T00:00:00Z') });
  const crl = parseCrl(der, 'test CRL');
  const now = new Date('2025-01-01T00:00:00Z');

  test('a listed serial is revoked, an unlisted one is not', () => {
    assert.equal(crlIssuedBy(crl, ca.cert), true);
    assert.equal(reasonOf(() => verifyCrlSignature(crl, ca.cert)), 'accepted');
    assert.equal(reasonOf(() => checkNotRevoked(crl, [pck])), 'revoked');
    assert.equal(reasonOf(() => checkNotRevoked(crl, [other])), 'accepted');
    assert.equal(reasonOf(() => checkNotRevoked(crl, [other, pck])), 'revoked');
  });

  test('serials compare as numbers, whatever their leading zero bytes', () => {
    const serial = serialOf(pck.raw);
    const padded = new Uint8Array([0, ...serial]);
    const withZero = parseCrl(makeCrl({ issuer: ca.name, key: ca.key, revokedSerials: [padded] }), 'padded CRL');
    assert.equal(reasonOf(() => checkNotRevoked(withZero, [pck])), 'revoked');
  });

  test('PEM and DER forms parse to the same CRL', () => {
    const pem = `-----BEGIN X509 CRL-----\n${Buffer.from(der).toString('base64')}\n-----END X509 CRL-----\n`;
    assert.deepEqual([...parseCrl(Buffer.from(pem), 'pem').revoked], [...crl.revoked]);
  });

  test('a flipped byte in the signed list or a foreign key is a bad signature', () => {
    const tampered = new Uint8Array(der);
    const at = Buffer.from(der).indexOf(Buffer.from(serialOf(pck.raw)));
    tampered[at + 2]! ^= 0x01;
    assert.equal(reasonOf(() => verifyCrlSignature(parseCrl(tampered, 't'), ca.cert)), 'bad-signature');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = parseCrl(makeCrl({ issuer: ca.name, key: privateKey, revokedSerials: [] }), 'forged');
    assert.equal(reasonOf(() => verifyCrlSignature(forged, ca.cert)), 'bad-signature');
  });

  test('a CRL past its next update, or issued after the verification time, is collateral-expired', () => {
    assert.equal(reasonOf(() => checkCrlFreshness(crl, now)), 'accepted');
    assert.equal(reasonOf(() => checkCrlFreshness(crl, new Date('2031-01-01T00:00:00Z'))), 'collateral-expired');
    assert.equal(reasonOf(() => checkCrlFreshness(crl, new Date('2019-01-01T00:00:00Z'))), 'collateral-expired');
  });

  test('a CRL of another issuer is recognised as such', () => {
    assert.equal(crlIssuedBy(crl, new X509Certificate(pckChainDers(tdxV4Spr().evidence)[1]!)), false);
  });

  test('bytes that are not a CRL are malformed', () => {
    for (const bad of [new Uint8Array(0), new Uint8Array([0x30, 0x03, 1, 2, 3]), Buffer.from('-----BEGIN X509 CRL-----\n!!\n-----END X509 CRL-----'), der.subarray(0, 50)]) {
      assert.equal(reasonOf(() => parseCrl(bad, 'junk')), 'malformed');
    }
  });
});
