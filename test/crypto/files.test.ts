/**
 * The file-to-file fast path (positional I/O, batches shared by this thread
 * and the worker pool): same bytes out as the streaming path expects, and
 * the same integrity checks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt, decryptFileToFile, encrypt, encryptFileToFile, isBinaryAgeFile, CorruptFileError, NoIdentityMatchError, X25519Identity } from '../../src/crypto/index.js';
import { identityFileText } from '../../src/crypto/keyfile.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE } from '../../src/crypto/stream.js';
import { age, ageMissing } from '../helpers/age.js';
import { collect, pseudoRandomBytes } from '../helpers/bytes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-files-'));
const identity = X25519Identity.generate();
const keyFile = path.join(dir, 'id.key');
writeFileSync(keyFile, identityFileText(identity), { mode: 0o600 });

/** Runs `f` with descriptors of `inPath` (read) and a fresh `outPath` (write). */
async function withFds(inPath: string, outPath: string, f: (inFd: number, size: number, outFd: number) => Promise<void>): Promise<void> {
  const inFd = openSync(inPath, 'r');
  const outFd = openSync(outPath, 'w');
  try {
    await f(inFd, statSync(inPath).size, outFd);
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
}

async function encryptFile(plain: Buffer, name: string): Promise<string> {
  const p = path.join(dir, `${name}.plain`);
  const c = path.join(dir, `${name}.age`);
  writeFileSync(p, plain);
  await withFds(p, c, (i, n, o) => encryptFileToFile([identity.recipient()], i, n, o));
  return c;
}

async function decryptFile(c: string): Promise<Buffer> {
  const out = path.join(dir, `${path.basename(c)}.out`);
  await withFds(c, out, (i, n, o) => decryptFileToFile([identity], i, n, o));
  return readFileSync(out);
}

describe('file-to-file fast path', () => {
  // Sizes around chunk and batch edges; 5 MiB and more also use the worker pool.
  const sizes = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 4 * CHUNK_SIZE, 4 * CHUNK_SIZE + 1, 5 * 1024 * 1024 + 3, 9 * 1024 * 1024];

  test('round-trips through the streaming path in both directions', async () => {
    for (const size of sizes) {
      const plain = pseudoRandomBytes(size);
      const c = await encryptFile(plain, `rt${size}`);
      assert.ok(isBinaryAgeFile(openSync(c, 'r')));
      assert.ok((await collect(decrypt([identity], readFileSync(c)))).equals(plain), `size ${size}: stream decrypt`);
      const streamed = path.join(dir, `s${size}.age`);
      writeFileSync(streamed, await collect(encrypt([identity.recipient()], plain)));
      assert.ok((await decryptFile(streamed)).equals(plain), `size ${size}: file decrypt`);
    }
  });

  test('interoperates with age', { skip: ageMissing }, async () => {
    for (const size of [0, CHUNK_SIZE, 5 * 1024 * 1024 + 3]) {
      const plain = pseudoRandomBytes(size);
      const c = await encryptFile(plain, `age${size}`);
      assert.ok(age(['-d', '-i', keyFile, c]).equals(plain));
      const byAge = path.join(dir, `byage${size}.age`);
      writeFileSync(byAge, age(['-r', identity.recipient().toString()], plain));
      assert.ok((await decryptFile(byAge)).equals(plain));
    }
  });

  test('a flipped bit names its chunk and truncation is detected, with the pool at work', async () => {
    const plain = pseudoRandomBytes(6 * 1024 * 1024);
    const c = await encryptFile(plain, 'tamper');
    const good = readFileSync(c);
    const payloadStart = good.length - Math.ceil(plain.length / CHUNK_SIZE) * ENCRYPTED_CHUNK_SIZE;
    for (const chunk of [0, 1, 37, 95]) {
      const bad = Buffer.from(good);
      bad[payloadStart + chunk * ENCRYPTED_CHUNK_SIZE + 100]! ^= 1;
      writeFileSync(c, bad);
      await assert.rejects(decryptFile(c), (e: unknown) => e instanceof CorruptFileError && (e.location as { chunk: number }).chunk === chunk);
    }
    writeFileSync(c, good.subarray(0, payloadStart + 50 * ENCRYPTED_CHUNK_SIZE));
    await assert.rejects(decryptFile(c), (e: unknown) => e instanceof CorruptFileError && /truncated/.test(e.message));
    writeFileSync(c, good);
    await assert.rejects(
      withFds(c, path.join(dir, 'x.out'), (i, n, o) => decryptFileToFile([X25519Identity.generate()], i, n, o)),
      NoIdentityMatchError,
    );
  });
});
