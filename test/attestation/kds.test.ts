import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AmdKdsFetcher, vcekPath, type HttpGet } from '../../src/attestation/sev-snp/kds.js';
import { parseReport } from '../../src/attestation/sev-snp/index.js';
import { snpVerifier } from '../../src/attestation/sev-snp/index.js';
import { genoaTsm, milanVcek } from './snp-samples.js';

const MILAN_HWID = '3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d';

function stubKds(): { get: HttpGet; urls: string[] } {
  const urls: string[] = [];
  const get: HttpGet = (url) => {
    urls.push(url);
    const ok = url === `https://kds.test/vcek/v1/Milan/${MILAN_HWID}?blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68`;
    return Promise.resolve(ok ? { status: 200, body: milanVcek.vcek } : { status: 404, body: new Uint8Array() });
  };
  return { get, urls };
}

describe('fetching a missing VCEK from AMD KDS through the cache', () => {
  test('the KDS path names the product, CHIP_ID and the reported TCB SPLs', () => {
    assert.equal(vcekPath(parseReport(milanVcek.report), 'Milan'), `/vcek/v1/Milan/${MILAN_HWID}?blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68`);
    assert.match(vcekPath(parseReport(milanVcek.report), 'Turin'), /^\/vcek\/v1\/Turin\/3ac3fe21e13fb099\?blSPL=\d\d&teeSPL=\d\d&snpSPL=\d\d&ucodeSPL=\d\d&fmcSPL=\d\d$/);
  });

  test('a fetched VCEK is cached, used offline afterwards, and verifies the report', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'sealflow-kds-'));
    const kds = stubKds();
    const fetcher = new AmdKdsFetcher({ cacheDir, baseUrl: 'https://kds.test', get: kds.get });
    const c = await fetcher.complete(milanVcek.report, {}, { now: milanVcek.now, offline: false });
    assert.deepEqual(c.vcek, milanVcek.vcek);
    // The v2 report names no product; the VCEK was found as Milan, so Milan's CRL is asked for too (404 here).
    assert.deepEqual(kds.urls.slice(1), ['https://kds.test/vcek/v1/Milan/crl']);
    assert.equal(c['amd-crl'], undefined);
    const offline = new AmdKdsFetcher({ cacheDir, baseUrl: 'https://kds.test', get: () => Promise.reject(new Error('no network')) });
    const again = await offline.complete(milanVcek.report, {}, { now: milanVcek.now, offline: true });
    assert.deepEqual(again.vcek, milanVcek.vcek);
    const claims = await snpVerifier.verify(milanVcek.report, again, { now: milanVcek.now });
    assert.equal(claims.platform, 'sev-snp');
    assert.ok(existsSync(path.join(cacheDir, 'amd', 'Milan', MILAN_HWID, 'vcek-2-0-5-68.der')));
  });

  test('offline with an empty cache fetches nothing and leaves the VCEK missing', async () => {
    const kds = stubKds();
    const fetcher = new AmdKdsFetcher({ cacheDir: mkdtempSync(path.join(tmpdir(), 'sealflow-kds-')), baseUrl: 'https://kds.test', get: kds.get });
    const c = await fetcher.complete(milanVcek.report, {}, { now: milanVcek.now, offline: true });
    assert.equal(c.vcek, undefined);
    assert.equal(kds.urls.length, 0);
  });

  test('nothing is fetched when the VCEK is given or carried by the evidence, or for garbage', async () => {
    const kds = stubKds();
    const fetcher = new AmdKdsFetcher({ cacheDir: mkdtempSync(path.join(tmpdir(), 'sealflow-kds-')), baseUrl: 'https://kds.test', get: kds.get, crl: false });
    const given = { vcek: new Uint8Array([1]) };
    assert.equal(await fetcher.complete(milanVcek.report, given, { now: milanVcek.now, offline: false }), given);
    assert.deepEqual(await fetcher.complete(genoaTsm.json, {}, { now: genoaTsm.now, offline: false }), {});
    assert.deepEqual(await fetcher.complete(new Uint8Array([1, 2, 3]), {}, { now: genoaTsm.now, offline: false }), {});
    assert.equal(kds.urls.length, 0);
  });

  test("the ARK's CRL is fetched into the cache, reused while fresh, refetched when old, and used stale offline", async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'sealflow-kds-'));
    let served = 0;
    const get: HttpGet = (url) => {
      if (url !== 'https://kds.test/vcek/v1/Genoa/crl') return Promise.resolve({ status: 404, body: new Uint8Array() });
      served++;
      return Promise.resolve({ status: 200, body: new Uint8Array([0x30, 0x01, served]) });
    };
    const at = { now: genoaTsm.now, offline: false };
    const fresh = new AmdKdsFetcher({ cacheDir, baseUrl: 'https://kds.test', get });
    assert.deepEqual((await fresh.complete(genoaTsm.json, {}, at))['amd-crl'], new Uint8Array([0x30, 0x01, 1]));
    assert.deepEqual((await fresh.complete(genoaTsm.json, {}, at))['amd-crl'], new Uint8Array([0x30, 0x01, 1]));
    assert.equal(served, 1);
    const old = new AmdKdsFetcher({ cacheDir, baseUrl: 'https://kds.test', get, crlMaxAgeHours: 0 });
    assert.deepEqual((await old.complete(genoaTsm.json, {}, at))['amd-crl'], new Uint8Array([0x30, 0x01, 2]));
    const offline = new AmdKdsFetcher({ cacheDir, baseUrl: 'https://kds.test', get, crlMaxAgeHours: 0 });
    assert.deepEqual((await offline.complete(genoaTsm.json, {}, { now: genoaTsm.now, offline: true }))['amd-crl'], new Uint8Array([0x30, 0x01, 2]));
    assert.equal(served, 2);
    const given = { 'amd-crl': new Uint8Array([9]) };
    assert.equal(await old.complete(genoaTsm.json, given, at), given);
  });

  test('a KDS failure is logged and leaves the collateral unchanged', async () => {
    const lines: string[] = [];
    const fetcher = new AmdKdsFetcher({ cacheDir: mkdtempSync(path.join(tmpdir(), 'sealflow-kds-')), get: () => Promise.reject(new Error('connect ECONNREFUSED')), log: (l) => lines.push(l) });
    assert.deepEqual(await fetcher.complete(milanVcek.report, {}, { now: milanVcek.now, offline: false }), {});
    assert.equal(lines.length, 2); // v2 report: Milan, then Genoa (no product found, so no CRL)
    assert.match(lines[0] ?? '', /kdsintf\.amd\.com\/vcek\/v1\/Milan\/.*ECONNREFUSED/);
  });
});
