/**
 * docs/protocol.md "Framing and limits": MACs and other authenticators are
 * compared in constant time (crypto.timingSafeEqual on equal-length
 * buffers), never with `===` / `!==`, whose time depends on where two
 * values first differ.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { equalSecrets } from '../../src/crypto/constant-time.js';

const SRC = new URL('../../../src/', import.meta.url).pathname;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('secrets compared in constant time', () => {
  test('equalSecrets: equal bytes are equal; a change anywhere, or another length, is not', () => {
    const mac = 'a'.repeat(64);
    assert.equal(equalSecrets(mac, 'a'.repeat(64)), true);
    assert.equal(equalSecrets(mac, 'b' + 'a'.repeat(63)), false);
    assert.equal(equalSecrets(mac, 'a'.repeat(63) + 'b'), false);
    assert.equal(equalSecrets(mac, 'a'.repeat(63)), false);
    assert.equal(equalSecrets(Buffer.from([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
    assert.equal(equalSecrets(Buffer.from([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
  });

  test('no source compares a MAC, secret or token value with === or !== (the resume outputsMac check did)', async () => {
    // A comparison with a value (not with undefined/null or a length, which are public).
    const re = /[\w.]*(?:mac|Mac|MAC|secret|Secret|token|Token)\w*\s*[!=]==\s*(?!undefined|null|['"\d]|MAC_SIZE)[\w.(]|[!=]==\s*[\w.]*(?:mac|Mac|secret|Secret|token|Token)\w*\s*\(/;
    const offenders: string[] = [];
    for (const f of await sources(SRC)) {
      (await readFile(f, 'utf8')).split('\n').forEach((line, i) => {
        if (re.test(line) && !/\.length\s*[!=]==/.test(line)) offenders.push(`${path.relative(SRC, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, []);
  });
});
