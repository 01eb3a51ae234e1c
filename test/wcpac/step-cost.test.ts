/**
 * docs/protocol.md §10.4: the per-step fixed cost of the sealed path. Files
 * are sealed and opened with a crypto batch sized to the file (a tiny file
 * does not get a 2 MiB buffer): the ciphertext still opens to the same bytes
 * at every chunk boundary, and a file that grew after its size was taken
 * still round-trips. Output recipients are parsed once per executor.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt, encrypt, X25519Identity } from '../../src/crypto/index.js';
import { pipelineForFile, pipelineForSize, recipientsOf } from '../../src/worker/attested/pipeline-size.js';
import { encryptFileInPlace } from '../../src/worker/attested/sealed.js';
import { collect } from '../helpers/bytes.js';

const K = 64 * 1024;

describe('§10.4 per-step cost of the sealed path', () => {
  test('a small file gets a small batch and a large one the default', () => {
    assert.deepEqual(pipelineForSize(0), { chunksPerBatch: 1 });
    assert.deepEqual(pipelineForSize(K - 1), { chunksPerBatch: 1 });
    assert.deepEqual(pipelineForSize(K), { chunksPerBatch: 2 });
    assert.deepEqual(pipelineForSize(16 * K), {});
  });

  test('files sealed with a size-fitted batch open to the same bytes at every chunk boundary', async () => {
    const id = X25519Identity.generate();
    for (const size of [0, 1, K - 1, K, K + 1, 3 * K, 16 * K - 1, 16 * K + 5]) {
      const plain = randomBytes(size);
      const sealed = await collect(encrypt([id.recipient()], plain, { pipeline: pipelineForSize(size) }));
      const opened = await collect(decrypt([id], sealed, { pipeline: pipelineForSize(sealed.length) }));
      assert.ok(opened.equals(plain), `size ${size}`);
    }
  });

  test('a batch sized for fewer bytes than the file holds still round-trips', async () => {
    const id = X25519Identity.generate();
    const plain = randomBytes(5 * K + 7);
    const sealed = await collect(encrypt([id.recipient()], plain, { pipeline: pipelineForSize(10) }));
    assert.ok((await collect(decrypt([id], sealed, { pipeline: pipelineForSize(10) }))).equals(plain));
  });

  test('encryptFileInPlace seals a tiny file that opens with the identity, and reports its hash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-stepcost-'));
    try {
      const id = X25519Identity.generate();
      const file = path.join(dir, 'o');
      fs.writeFileSync(file, 'tiny\n');
      assert.deepEqual(await pipelineForFile(file), { chunksPerBatch: 1 });
      assert.deepEqual(await pipelineForFile(path.join(dir, 'missing')), {});
      const { size } = await encryptFileInPlace(file, recipientsOf([id.recipient().toString()]));
      const sealed = fs.readFileSync(file);
      assert.equal(sealed.length, size);
      assert.equal((await collect(decrypt([id], sealed))).toString(), 'tiny\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('recipients are parsed once and reused', () => {
    const r = X25519Identity.generate().recipient().toString();
    const [a] = recipientsOf([r]);
    const [b] = recipientsOf([r]);
    assert.equal(a, b);
    assert.throws(() => recipientsOf(['age1notarecipient']));
  });
});
