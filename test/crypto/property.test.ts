/**
 * Property: for random sizes and every size around a chunk boundary, and for
 * any way the input stream is cut (down to one byte at a time), decrypting
 * what was encrypted returns the plaintext, on the inline path and on the
 * worker pool, binary and armored.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decrypt, encrypt, X25519Identity } from '../../src/crypto/index.js';
import { CHUNK_SIZE } from '../../src/crypto/stream.js';
import { collect, inPieces, prng, pseudoRandomBytes } from '../helpers/bytes.js';

const identity = X25519Identity.generate();
const recipients = [identity.recipient()];

async function roundTrip(
  plaintext: Uint8Array,
  opts: { armor: boolean; parallel: boolean; piece: number | (() => number); perBatch?: number },
): Promise<void> {
  const pipeline = { parallelThreshold: opts.parallel ? 0 : Infinity, chunksPerBatch: opts.perBatch ?? 16 };
  const ct = await collect(encrypt(recipients, inPieces(plaintext, opts.piece), { armor: opts.armor, pipeline }));
  const back = await collect(decrypt([identity], inPieces(ct, opts.piece), { pipeline }));
  assert.equal(back.length, plaintext.length);
  assert.ok(back.equals(plaintext), `size ${plaintext.length}: plaintext differs`);
}

describe('encrypt then decrypt is the identity', () => {
  const boundarySizes = [0, 1, 2, 15, 16, 17];
  for (const k of [1, 2, 3, 16, 17]) boundarySizes.push(k * CHUNK_SIZE - 1, k * CHUNK_SIZE, k * CHUNK_SIZE + 1);

  for (const parallel of [false, true]) {
    test(`at every size around chunk and batch boundaries (${parallel ? 'worker pool' : 'inline'})`, async () => {
      for (const size of boundarySizes) {
        await roundTrip(pseudoRandomBytes(size), { armor: false, parallel, piece: 65536 * 3 + 7 });
        await roundTrip(pseudoRandomBytes(size), { armor: true, parallel, piece: 100_000, perBatch: 2 });
      }
    });
  }

  test('at 40 random sizes with random stream pieces (seeded)', async () => {
    const rand = prng(7);
    for (let i = 0; i < 40; i++) {
      const size = Math.floor(rand() ** 2 * 600_000);
      const piece = (): number => 1 + Math.floor(rand() * 90_000);
      await roundTrip(pseudoRandomBytes(size, i), { armor: rand() < 0.3, parallel: rand() < 0.5, piece, perBatch: 1 + Math.floor(rand() * 4) });
    }
  });

  test('when the input arrives one byte at a time', async () => {
    for (const size of [0, 1, 100, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1]) {
      await roundTrip(pseudoRandomBytes(size), { armor: false, parallel: size % 2 === 0, piece: 1, perBatch: 1 });
    }
    for (const size of [0, 1, 1000]) {
      await roundTrip(pseudoRandomBytes(size), { armor: true, parallel: false, piece: 1 });
    }
  });

  test('the output of one encryption is never the same as another of the same plaintext', async () => {
    const pt = pseudoRandomBytes(1000);
    const a = await collect(encrypt(recipients, pt));
    const b = await collect(encrypt(recipients, pt));
    assert.notDeepEqual(a, b);
  });
  test('every X25519 stanza carries a fresh 32-byte ephemeral share that opens its file key with the identity', () => {
    const fileKey = new Uint8Array(16).fill(7);
    const shares = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const stanzas = identity.recipient().wrapFileKey(fileKey);
      assert.equal(stanzas.length, 1);
      const share = Buffer.from(stanzas[0]!.args[0]!, 'base64');
      assert.equal(share.length, 32);
      shares.add(share.toString('hex'));
      assert.deepEqual(identity.unwrapFileKey(stanzas), Buffer.from(fileKey), `wrap ${i} opens`);
    }
    assert.equal(shares.size, 500, 'no share repeats');
  });
});
