/** docs/protocol.md §10.3, the executor's side: resolve on the fixed PATH, hash, refuse or run the verified bytes. */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecSpec } from '../../src/protocol/execution.js';
import { hashFile, prepareProgram } from '../../src/worker/executor/tools.js';

type CommandSpec = Extract<ExecSpec, { kind: 'command' }>;
const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-xtools-')));
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const spec = (o: Partial<CommandSpec>): CommandSpec => ({ kind: 'command', argv: ['x'], shell: false, env: {}, globs: {}, ...o });
let n = 0;
const privateDir = () => path.join(root, `p${++n}.tools`);

describe('§10.3 executor: fixed PATH and pinned tools', () => {
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  const script = path.join(bin, 'tool.sh');
  fs.writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const trueBin = fs.realpathSync('/bin/true');

  test('without a fixed PATH and without pins the program is left as it is (plain runs)', async () => {
    const r = await prepareProgram('a', 'tool.sh', spec({}), bin, root, privateDir());
    assert.deepEqual(r, { ok: true, file: 'tool.sh', checks: [] });
  });

  test('a bare name is resolved on the fixed PATH to an absolute file, recorded unpinned with its SHA-256 (no expected hash)', async () => {
    const r = await prepareProgram('a', 'tool.sh', spec({ path: `/nonexistent:${bin}` }), `/nonexistent:${bin}`, root, privateDir());
    assert.deepEqual(r, { ok: true, file: script, checks: [{ tool: 'tool.sh', path: script, sha256: sha(script) }] });
  });

  test('a program not on the fixed PATH fails and names the PATH searched', async () => {
    const r = await prepareProgram('a', 'tool.sh', spec({ path: '/usr/bin:/bin' }), '/usr/bin:/bin', root, privateDir());
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /^step a: command not found on the fixed PATH \/usr\/bin:\/bin: tool\.sh\./);
  });

  test('a pinned native executable runs from a private copy of exactly the bytes that were hashed', async () => {
    const dir = privateDir();
    const r = await prepareProgram('a', 'true', spec({ path: '/usr/bin:/bin', tools: { true: { sha256: sha(trueBin) } } }), '/usr/bin:/bin', root, dir);
    assert.ok(r.ok);
    assert.equal(r.file, path.join(dir, 'true'));
    assert.ok(fs.readFileSync(r.file).equals(fs.readFileSync(trueBin)));
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700, 'the copy lives in a private directory');
    assert.deepEqual(r.checks, [{ tool: 'true', path: trueBin, sha256: sha(trueBin), expected: sha(trueBin) }]);
  });

  test('a pinned script runs in place from the resolved path that was hashed (its interpreter reads it there)', async () => {
    const dir = privateDir();
    const r = await prepareProgram('a', 'tool.sh', spec({ path: bin, tools: { 'tool.sh': { sha256: sha(script) } } }), bin, root, dir);
    assert.ok(r.ok);
    assert.equal(r.file, script);
    assert.ok(!fs.existsSync(path.join(dir, 'tool.sh')), 'no copy is left behind');
  });

  test("a pin's absolute path is used instead of a PATH lookup", async () => {
    const r = await prepareProgram('a', 'tool.sh', spec({ path: '/usr/bin', tools: { 'tool.sh': { sha256: sha(script), path: script } } }), '/usr/bin', root, privateDir());
    assert.ok(r.ok);
    assert.equal(r.file, script);
  });

  test('a pinned tool missing from its pinned path is refused, saying where it looked', async () => {
    const missing = path.join(root, 'nowhere', 'tool.sh');
    const r = await prepareProgram('align[2]', 'tool.sh', spec({ path: bin, tools: { 'tool.sh': { sha256: sha(script), path: missing } } }), bin, root, privateDir());
    assert.equal(r.ok, false);
    assert.equal(!r.ok ? r.message.split(';')[0] : '', `step align[2]: pinned tool tool.sh was not found at ${missing}`);
  });

  test('a shell step checks every pinned tool its script names, and refuses on a mismatch', async () => {
    const good = await prepareProgram('s', '/bin/sh', spec({ shell: true, path: bin, tools: { 'tool.sh': { sha256: sha(script) } } }), bin, root, privateDir());
    assert.ok(good.ok);
    assert.equal(good.checks.length, 1);
    const bad = await prepareProgram('s', '/bin/sh', spec({ shell: true, path: bin, tools: { 'tool.sh': { sha256: 'f'.repeat(64) } } }), bin, root, privateDir());
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.message : '', new RegExp(`^step s: tool tool\\.sh at ${script.replace(/[.]/g, '\\.')} has SHA-256 ${sha(script)}, but the run configuration pins f{64}; it was not executed`));
  });

  test('hashFile equals a one-shot SHA-256 for a file larger than one read chunk, and copies it byte for byte', async () => {
    const big = path.join(root, 'big');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    bytes.write('\x7fELF', 0, 'latin1');
    bytes.write('$ORIGIN', 1024 * 1024 - 3, 'latin1'); // straddles the first chunk boundary
    fs.writeFileSync(big, bytes);
    const copy = path.join(root, 'big.copy');
    const h = await hashFile(big, copy);
    assert.equal(h.sha256, sha(big));
    assert.ok(fs.readFileSync(copy).equals(bytes));
    assert.equal(h.copyRunnable, false, 'a binary that finds its libraries through $ORIGIN must run where it is installed');
  });
});
