/**
 * Integrity: every single-bit modification of a file (each header byte, the
 * payload nonce, and a few hundred sampled payload positions) and every
 * truncation at a chunk boundary is detected, and no plaintext of an
 * unauthenticated chunk ever reaches the output.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { decryptTo, encryptTo, CorruptFileError, NoIdentityMatchError, X25519Identity } from '../../src/crypto/index.js';
import { bufferSource, BufferSink } from '../../src/crypto/io.js';
import { findHeaderEnd, encodeHeader } from '../../src/crypto/format.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, payloadKey } from '../../src/crypto/stream.js';
import { prng, pseudoRandomBytes } from '../helpers/bytes.js';

const identity = X25519Identity.generate();
const PLAINTEXT = pseudoRandomBytes(3 * CHUNK_SIZE + 1000); // four chunks, the last short

async function encryptBuf(pt: Uint8Array, armor = false): Promise<Buffer> {
  const sink = new BufferSink();
  await encryptTo([identity.recipient()], bufferSource(pt), sink, { armor });
  return sink.bytes();
}

/** Decrypts `ct`, expecting failure; returns the error and what was written before it. */
async function decryptFailing(ct: Uint8Array, chunksPerBatch: number, parallel: boolean) {
  const sink = new BufferSink();
  const pipeline = { chunksPerBatch, parallelThreshold: parallel ? 0 : Infinity };
  const err = await decryptTo([identity], bufferSource(ct), sink, { pipeline }).then(
    () => null,
    (e: unknown) => e,
  );
  return { err, written: sink.bytes() };
}

function flipBit(ct: Uint8Array, pos: number, bit: number): Buffer {
  const out = Buffer.from(ct);
  out[pos]! ^= 1 << bit;
  return out;
}

describe('single-bit modifications', async () => {
  const ct = await encryptBuf(PLAINTEXT);
  const headerEnd = findHeaderEnd(ct);
  const payloadStart = headerEnd + 16;
  const rand = prng(42);

  test('every header byte, flipped, is detected with nothing written', async () => {
    for (let pos = 0; pos < headerEnd; pos++) {
      const { err, written } = await decryptFailing(flipBit(ct, pos, Math.floor(rand() * 8)), 1, false);
      // A flip inside the X25519 stanza makes it another recipient's stanza: age reports that as no match.
      assert.ok(
        (err instanceof CorruptFileError && err.location === 'header') || err instanceof NoIdentityMatchError,
        `header byte ${pos}: ${String(err)}`,
      );
      assert.equal(written.length, 0, `header byte ${pos}: plaintext written`);
    }
  });

  test('every payload nonce byte, flipped, fails chunk 0 with nothing written', async () => {
    for (let pos = headerEnd; pos < payloadStart; pos++) {
      const { err, written } = await decryptFailing(flipBit(ct, pos, Math.floor(rand() * 8)), 1, false);
      assert.ok(err instanceof CorruptFileError, String(err));
      assert.deepEqual(err.location, { chunk: 0 });
      assert.equal(written.length, 0);
    }
  });

  for (const [perBatch, parallel] of [
    [1, false],
    [1, true],
    [16, true],
  ] as const) {
    test(`300 sampled payload bits are detected, naming the chunk, and only earlier chunks are written (batches of ${perBatch}, ${parallel ? 'worker pool' : 'inline'})`, async () => {
      const positions = new Set<number>();
      // The first and last bytes of every chunk (start of ciphertext, end of tag), then random ones.
      for (let c = 0; c < 4; c++) {
        positions.add(payloadStart + c * ENCRYPTED_CHUNK_SIZE);
        positions.add(Math.min(ct.length, payloadStart + (c + 1) * ENCRYPTED_CHUNK_SIZE) - 1);
      }
      while (positions.size < 300) positions.add(payloadStart + Math.floor(rand() * (ct.length - payloadStart)));
      for (const pos of positions) {
        const chunk = Math.floor((pos - payloadStart) / ENCRYPTED_CHUNK_SIZE);
        const { err, written } = await decryptFailing(flipBit(ct, pos, Math.floor(rand() * 8)), perBatch, parallel);
        assert.ok(err instanceof CorruptFileError, `byte ${pos}: ${String(err)}`);
        assert.deepEqual(err.location, { chunk });
        assert.match(err.message, new RegExp(`^file is corrupt or was modified \\(payload chunk ${chunk}\\)`));
        // Only whole batches before the failing chunk's batch may have been released.
        const released = Math.floor(chunk / perBatch) * perBatch * CHUNK_SIZE;
        assert.equal(written.length, released, `byte ${pos}`);
        assert.deepEqual(written, PLAINTEXT.subarray(0, released));
      }
    });
  }

  test('200 sampled bits of an armored file are detected with nothing written', async () => {
    const armored = await encryptBuf(PLAINTEXT.subarray(0, 5000), true);
    for (let i = 0; i < 200; i++) {
      const pos = Math.floor(rand() * armored.length);
      const { err, written } = await decryptFailing(flipBit(armored, pos, Math.floor(rand() * 7)), 16, false);
      assert.ok(err instanceof CorruptFileError || err instanceof NoIdentityMatchError, `byte ${pos}: ${String(err)}`);
      assert.equal(written.length, 0);
    }
  });
});

describe('truncation and trailing data', async () => {
  const ct = await encryptBuf(PLAINTEXT);
  const payloadStart = findHeaderEnd(ct) + 16;

  test('truncating at every chunk boundary (and one byte either side) is detected', async () => {
    const cuts = [0, 1, payloadStart - 16, payloadStart - 1, payloadStart];
    for (let c = 1; c <= 3; c++) {
      const b = payloadStart + c * ENCRYPTED_CHUNK_SIZE;
      cuts.push(b - 1, b, b + 1);
    }
    cuts.push(ct.length - 1);
    for (const cut of cuts) {
      for (const perBatch of [1, 16]) {
        const { err, written } = await decryptFailing(ct.subarray(0, cut), perBatch, false);
        assert.ok(err instanceof CorruptFileError, `cut at ${cut}: ${String(err)}`);
        const failing = cut < payloadStart ? 0 : Math.floor((cut - payloadStart) / ENCRYPTED_CHUNK_SIZE);
        assert.ok(written.length <= failing * CHUNK_SIZE, `cut at ${cut}: wrote ${written.length}`);
      }
    }
  });

  test('a file cut exactly after a full chunk says it is truncated', async () => {
    const { err } = await decryptFailing(ct.subarray(0, payloadStart + 2 * ENCRYPTED_CHUNK_SIZE), 16, false);
    assert.ok(err instanceof CorruptFileError);
    assert.deepEqual(err.location, { chunk: 1 });
    assert.match(err.message, /truncated/);
  });

  test('data appended after the final chunk is detected', async () => {
    for (const extra of [Buffer.from([0]), crypto.randomBytes(ENCRYPTED_CHUNK_SIZE)]) {
      const { err, written } = await decryptFailing(Buffer.concat([ct, extra]), 16, false);
      assert.ok(err instanceof CorruptFileError, String(err));
      assert.equal(written.length, 0);
    }
  });

  test('a full final chunk followed by an extra empty chunk is rejected', async () => {
    // Hand-built: chunk 0 (64 KiB, not last) then an empty last chunk; age forbids this encoding.
    const fileKey = crypto.randomBytes(16);
    const header = encodeHeader(identity.recipient().wrapFileKey(fileKey), fileKey);
    const nonce = crypto.randomBytes(16);
    const key = payloadKey(fileKey, nonce);
    const seal = (counter: number, last: boolean, pt: Uint8Array): Buffer => {
      const n = Buffer.alloc(12);
      n.writeUInt32BE(counter, 7);
      n[11] = last ? 1 : 0;
      const c = crypto.createCipheriv('chacha20-poly1305', key, n, { authTagLength: 16 });
      return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
    };
    const file = Buffer.concat([header, nonce, seal(0, false, PLAINTEXT.subarray(0, CHUNK_SIZE)), seal(1, true, Buffer.alloc(0))]);
    const { err } = await decryptFailing(file, 16, false);
    assert.ok(err instanceof CorruptFileError);
    assert.match(err.message, /final chunk is empty/);
  });
});
