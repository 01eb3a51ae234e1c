/**
 * docs/protocol.md §15: worker ↔ worker transfers over mutual TLS on run-CA
 * certificates. Each refusal also checks that the producer served nothing
 * (no ciphertext byte left its data port) and the consumer kept nothing.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { RunCa } from '../../src/crypto/run-ca.js';
import { derToPem } from '../../src/crypto/x509-issue.js';
import { DataPort, serialOf } from '../../src/worker/attested/data-port.js';
import { fetchCiphertext, FetchError } from '../../src/worker/attested/fetch.js';
import { THREADED_FROM } from '../../src/worker/attested/hash-sink.js';
import { ciphertext, runPki, sha256 } from './data-pki.js';

/** A raw TLS client (no run-CA check of the server): what reaches it, and whether the port closed on it. */
function rawGet(port: DataPort, id: string, sha: string, cred: { cert?: string; key?: string } = {}): Promise<{ received: Buffer }> {
  return new Promise((resolve) => {
    const s = tls.connect({ ...port.address, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...cred });
    let received = Buffer.alloc(0);
    s.on('secureConnect', () => s.write(JSON.stringify({ type: 'get', id, sha256: sha }) + '\n'));
    s.on('data', (b: Buffer) => (received = Buffer.concat([received, b])));
    s.on('error', () => undefined);
    const t = setTimeout(() => s.destroy(), 3000);
    s.on('close', () => {
      clearTimeout(t);
      resolve({ received });
    });
  });
}

async function producer(slot = 'enclaves-1') {
  const pki = await runPki();
  const me = await pki.worker(slot);
  const port = await DataPort.start(me);
  const c = await ciphertext('counts of words\n'.repeat(5000));
  port.offer(c.file, c.file, c.sha256);
  return { pki, me, port, c, source: { slot, ...port.address } };
}

function nothingServed(port: DataPort): void {
  assert.equal(port.stats.served, 0, 'no ciphertext was served');
  assert.equal(port.stats.bytes, 0, 'no ciphertext byte left the data port');
}

describe('§15 data port', () => {
  test('§15.3 a consumer fetches a producer\'s ciphertext over mTLS and its SHA-256 is the recorded one', async () => {
    const { pki, port, c, source } = await producer();
    try {
      const consumer = await pki.worker('enclaves-2');
      const dest = path.join(c.dir, 'pulled.age');
      const r = await fetchCiphertext(consumer, source, { id: c.file, sha256: c.sha256 }, dest);
      assert.equal(r.bytes, c.bytes.length);
      assert.deepEqual(fs.readFileSync(dest), c.bytes);
      assert.equal(sha256(fs.readFileSync(dest)), c.sha256);
      assert.equal((fs.statSync(dest).mode & 0o777).toString(8), '600');
      assert.equal(port.stats.served, 1);
      assert.equal(port.stats.bytes, c.bytes.length);
    } finally {
      await port.close();
    }
  });

  test('§15.2 a client without a certificate is refused and nothing is served', async () => {
    const { port, c } = await producer();
    try {
      const got = await rawGet(port, c.file, c.sha256);
      assert.equal(got.received.length, 0, 'the client received nothing');
      nothingServed(port);
      assert.equal(port.stats.refused['no-certificate'], 1, JSON.stringify(port.stats));
    } finally {
      await port.close();
    }
  });

  test('§15.2 a certificate from another run\'s CA is refused and nothing is served', async () => {
    const { pki, port, c, source } = await producer();
    try {
      // Same master, another run: its CA is as genuine as this run's, and still not trusted here.
      const otherCa = await RunCa.create(pki.master, pki.runId, 3_600_000);
      const intruder = await pki.worker('enclaves-2', otherCa);
      const got = await rawGet(port, c.file, c.sha256, { cert: derToPem(intruder.certDer), key: intruder.key.export({ type: 'pkcs8', format: 'pem' }) as string });
      assert.equal(got.received.length, 0, 'the client received nothing');
      // The consumer side refuses the other way round too: a producer on another run's CA is not this run's worker.
      const dest = path.join(c.dir, 'intruder.age');
      await assert.rejects(fetchCiphertext(intruder, source, { id: c.file, sha256: c.sha256 }, dest), (e: unknown) => e instanceof FetchError);
      assert.equal(fs.existsSync(dest), false, 'the consumer kept nothing');
      nothingServed(port);
      assert.equal(port.stats.refused['untrusted'], 1, JSON.stringify(port.stats));
    } finally {
      await port.close();
    }
  });

  test('§15.4 a revoked certificate is refused once the master has revoked it, and nothing more is served', async () => {
    const { pki, port, c, source } = await producer();
    try {
      const consumer = await pki.worker('enclaves-2');
      await fetchCiphertext(consumer, source, { id: c.file, sha256: c.sha256 }, path.join(c.dir, 'before.age'));
      const before = { ...port.stats };
      pki.runCa.revoke(consumer.certDer);
      assert.deepEqual(pki.runCa.revokedSerials, [serialOf(consumer.certDer)]);
      port.revoke(pki.runCa.revokedSerials);
      const dest = path.join(c.dir, 'after.age');
      await assert.rejects(fetchCiphertext(consumer, source, { id: c.file, sha256: c.sha256 }, dest), (e: unknown) => e instanceof FetchError && ['refused', 'closed'].includes(e.reason));
      assert.equal(fs.existsSync(dest), false, 'the consumer kept nothing');
      assert.equal(port.stats.served, before.served, 'nothing more was served');
      assert.equal(port.stats.bytes, before.bytes, 'no byte more left the data port');
      assert.equal(port.stats.refused['revoked'], 1);
    } finally {
      await port.close();
    }
  });

  test('§15.3 a producer presenting a revoked certificate is refused by the consumer', async () => {
    const { pki, me, port, c, source } = await producer();
    try {
      const consumer = await pki.worker('enclaves-2');
      const dest = path.join(c.dir, 'from-revoked.age');
      await assert.rejects(fetchCiphertext(consumer, source, { id: c.file, sha256: c.sha256 }, dest, { revoked: new Set([serialOf(me.certDer)]) }), (e: unknown) => e instanceof FetchError && e.reason === 'server-identity');
      assert.equal(fs.existsSync(dest), false);
      nothingServed(port);
    } finally {
      await port.close();
    }
  });

  test('§15.3 a consumer refuses a producer whose certificate names another slot than the master named', async () => {
    const { pki, port, c, source } = await producer('enclaves-1');
    try {
      const consumer = await pki.worker('enclaves-2');
      const dest = path.join(c.dir, 'wrong-slot.age');
      await assert.rejects(fetchCiphertext(consumer, { ...source, slot: 'enclaves-3' }, { id: c.file, sha256: c.sha256 }, dest), (e: unknown) => e instanceof FetchError && e.reason === 'server-identity');
      assert.equal(fs.existsSync(dest), false);
      nothingServed(port);
    } finally {
      await port.close();
    }
  });

  test('§15.3 a tampered or substituted ciphertext served by a producer is refused, and the consumer keeps none of it', async () => {
    const { pki, port, c, source } = await producer();
    try {
      const consumer = await pki.worker('enclaves-2');
      // Tampered: one byte of the payload flipped on the producer's disk after it reported the hash.
      const tampered = Buffer.from(c.bytes);
      tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 1;
      fs.writeFileSync(c.file, tampered);
      const d1 = path.join(c.dir, 'tampered.age');
      await assert.rejects(fetchCiphertext(consumer, source, { id: c.file, sha256: c.sha256 }, d1), (e: unknown) => e instanceof FetchError && e.reason === 'hash-mismatch');
      assert.equal(fs.existsSync(d1), false);
      // Substituted: a fresh, well-formed age file to the same recipient.
      const fresh = await ciphertext('counts of other words\n', c.dir);
      fs.copyFileSync(fresh.file, c.file);
      const d2 = path.join(c.dir, 'substituted.age');
      await assert.rejects(fetchCiphertext(consumer, source, { id: c.file, sha256: c.sha256 }, d2), (e: unknown) => e instanceof FetchError && e.reason === 'hash-mismatch');
      assert.equal(fs.existsSync(d2), false);
    } finally {
      await port.close();
    }
  });

  test('§15.3 a ciphertext large enough to be hashed off the event loop arrives whole, and a tampered one is refused', async () => {
    const { pki, port, c: small, source } = await producer();
    try {
      const consumer = await pki.worker('enclaves-2');
      const big = await ciphertext(Buffer.alloc(THREADED_FROM + 123_457, 7), small.dir);
      port.offer(big.file, big.file, big.sha256);
      const dest = path.join(big.dir, 'big.age');
      const r = await fetchCiphertext(consumer, source, { id: big.file, sha256: big.sha256 }, dest);
      assert.equal(r.bytes, big.bytes.length);
      assert.equal(sha256(fs.readFileSync(dest)), big.sha256);
      const bad = Buffer.from(big.bytes);
      bad[THREADED_FROM] = (bad[THREADED_FROM] ?? 0) ^ 0x80;
      fs.writeFileSync(big.file, bad);
      const d2 = path.join(big.dir, 'big-tampered.age');
      await assert.rejects(fetchCiphertext(consumer, source, { id: big.file, sha256: big.sha256 }, d2), (e: unknown) => e instanceof FetchError && e.reason === 'hash-mismatch');
      assert.equal(fs.existsSync(d2), false);
    } finally {
      await port.close();
    }
  });

  test('§15.2 the data port serves only ciphertexts it offered, under the recorded hash, and never a plaintext file', async () => {
    const { pki, port, c, source } = await producer();
    try {
      const consumer = await pki.worker('enclaves-2');
      const plain = path.join(c.dir, 'plain.txt');
      fs.writeFileSync(plain, 'plaintext that must not leave\n');
      port.offer(plain, plain, sha256(fs.readFileSync(plain)));
      const cases: [string, string, string][] = [
        [path.join(c.dir, 'never-offered.age'), c.sha256, 'unknown-id'],
        [c.file, '0'.repeat(64), 'hash-differs'],
        [plain, sha256(fs.readFileSync(plain)), 'not-ciphertext'],
      ];
      for (const [id, sha, reason] of cases) {
        const dest = path.join(c.dir, `${reason}.age`);
        await assert.rejects(fetchCiphertext(consumer, source, { id, sha256: sha }, dest), (e: unknown) => e instanceof FetchError && e.reason === 'refused' && e.message.includes(reason));
        assert.equal(fs.existsSync(dest), false);
        assert.equal(port.stats.refused[reason], 1);
      }
      nothingServed(port);
    } finally {
      await port.close();
    }
  });
});

