/**
 * Resume hashes of large owner inputs are computed before scheduling and
 * asynchronously (ContentHasher.warmFiles), so the master's event loop keeps
 * serving heartbeats (docs/protocol.md §11.3); the digests equal the
 * synchronous ones, keyed or not.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentHasher } from '../../src/engine/hash.js';

describe('resume hashes of inputs, computed ahead', () => {
  test('warmFiles gives the digests file() would, keyed and plain, for files nested in port values', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-warm-'));
    try {
      const a = path.join(d, 'a.txt');
      const b = path.join(d, 'b.txt');
      fs.writeFileSync(a, 'x'.repeat(9 << 20));
      const inputs = { one: { class: 'File', path: a }, many: [{ class: 'File', path: b }] };
      for (const key of [undefined, Buffer.alloc(32, 7)]) {
        fs.writeFileSync(b, 'small\n');
        const warm = new ContentHasher(key);
        await warm.warmFiles(inputs);
        const cold = new ContentHasher(key);
        assert.equal(warm.file(a), cold.file(a));
        assert.equal(warm.file(b), cold.file(b));
        const before = cold.file(b);
        fs.writeFileSync(b, 'changed\n');
        assert.notEqual(new ContentHasher(key).file(b), before);
        assert.equal(warm.file(b), before, 'computed ahead: file() does not read it again');
      }
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
