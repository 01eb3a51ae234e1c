/**
 * What a worker host returns at the end of an attempt, in one round trip
 * (src/connectors/ssh/collect.ts): the shell script, run here by the local
 * `sh` exactly as the host runs it, streams the output tree and the logs
 * and removes what it is told to; the parser refuses what a hostile host
 * could send instead (paths outside the output directory, a name twice, an
 * unbounded name or size, a stream cut inside a frame), whole or byte by byte.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COLLECT_SCRIPT, CollectError, CollectParser, type CollectEvent } from '../../src/connectors/ssh/collect.js';

const frames = (...fs: [string, string | Buffer][]) => Buffer.concat(fs.map(([n, b]) => Buffer.concat([Buffer.from(`${n}\0${Buffer.byteLength(b)}\0`), Buffer.from(b)])));

/** The files of a stream, by name, fed `step` bytes at a time. */
function files(b: Uint8Array, step = b.length || 1): Map<string, Buffer> {
  const p = new CollectParser('host h');
  const out = new Map<string, Buffer>();
  let cur = '';
  for (let i = 0; i < b.length; i += step) {
    for (const e of p.push(b.subarray(i, i + step)) as CollectEvent[]) {
      if (e.type === 'file') out.set((cur = e.name), Buffer.alloc(0));
      else if (e.type === 'data') out.set(cur, Buffer.concat([out.get(cur)!, e.bytes]));
    }
  }
  p.end();
  return out;
}

describe('ssh: returning an attempt\'s files in one round trip', () => {
  test('the script streams every file of the output tree (odd names included) and the logs asked for, then removes what it is told to', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-collect-'));
    try {
      const out = path.join(d, 'out');
      fs.mkdirSync(path.join(out, 'sub dir'), { recursive: true });
      fs.writeFileSync(path.join(out, 'a.age'), 'age-encryption.org/v1\nA');
      fs.writeFileSync(path.join(out, 'sub dir', 'new\nline.age'), Buffer.from([0, 1, 2, 255]));
      fs.writeFileSync(path.join(out, 'empty'), '');
      fs.writeFileSync(path.join(d, 'log.out.age'), 'LOG');
      const r = spawnSync('sh', ['-c', COLLECT_SCRIPT, 'sh', out, `a=${path.join(d, 'log.out.age')}`, `b=${path.join(d, 'missing.age')}`, '--', out, path.join(d, 'log.out.age')]);
      assert.equal(r.status, 0, r.stderr.toString());
      const got = files(r.stdout);
      assert.deepEqual([...got.keys()].sort(), ['d/a.age', 'd/empty', 'd/sub dir/new\nline.age', 'l/a']);
      assert.deepEqual(got.get('d/sub dir/new\nline.age'), Buffer.from([0, 1, 2, 255]));
      assert.equal(got.get('l/a')?.toString(), 'LOG');
      assert.deepEqual(files(r.stdout, 1), got, 'the same byte by byte');
      assert.deepEqual(fs.readdirSync(d), [], 'the output directory and the log were removed after they were sent');
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  test('an output directory that does not exist returns nothing, and that is not an error', () => {
    const r = spawnSync('sh', ['-c', COLLECT_SCRIPT, 'sh', '/nonexistent/sealflow-out', '--']);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(files(r.stdout).size, 0);
  });

  const refusals: [string, Buffer, RegExp][] = [
    ['a path outside the output directory', frames(['d/../secrets', 'x']), /outside the output directory/],
    ['an absolute path', frames(['d//etc/passwd', 'x']), /outside the output directory/],
    ['a `.` segment', frames(['d/a/./b', 'x']), /outside the output directory/],
    ['neither a file nor a log', frames(['x/a', 'x']), /not d\/… or l\/…/],
    ['a log label that is not one', frames(['l/../a', 'x']), /not a log label/],
    ['the same name twice', frames(['d/a', 'x'], ['d/a', 'y']), /came twice/],
    ['a name longer than 4 KiB', Buffer.from(`d/${'a'.repeat(5000)}`), /longer than 4096/],
    ['a size that is not a decimal number', Buffer.from('d/a\0-1\0'), /not a number/],
    ['a size with a leading zero or too many digits', Buffer.from('d/a\0' + '9'.repeat(20) + '\0'), /longer than 16/],
    ['a stream cut inside a file', Buffer.from('d/a\x005\0abc'), /ended inside a frame/],
    ['a stream cut inside a name', Buffer.from('d/a'), /ended inside a frame/],
  ];
  for (const [what, bytes, why] of refusals) {
    test(`refuses ${what}, whole and byte by byte`, () => {
      assert.throws(() => files(bytes), (e: unknown) => e instanceof CollectError && why.test(e.message));
      assert.throws(() => files(bytes, 1), (e: unknown) => e instanceof CollectError && why.test(e.message));
    });
  }
});
