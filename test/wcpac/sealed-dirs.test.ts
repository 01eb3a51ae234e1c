/**
 * docs/protocol.md §10.1 (directories as a tar stream inside age) and §10.2
 * (sealed non-file values), unit level: the tar stream, safe extraction, the
 * worker's hash check and untar of a directory input, and small sealed values.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { decrypt, readHeaderOfFile, unwrapFileKey } from '../../src/crypto/index.js';
import { openSmall, sealSmall } from '../../src/crypto/oneshot.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { revealValues, sealPortValues } from '../../src/protocol/sealed-values.js';
import { x25519Raw } from '../../src/protocol/wcpac-crypto.js';
import { sealForWorker } from '../helpers/released-keys.js';
import { prepareSealed } from '../../src/worker/attested/sealed.js';
import { Keeper } from '../../src/worker/executor/outputs.js';
import { sealDirectoryInPlace } from '../../src/protocol/sealed-dirs.js';
import { sealDirectoriesAndValues } from '../../src/worker/attested/sealed-values.js';
import { packDirectory, TarError, unpackInto } from '../../src/protocol/tar.js';
import { snapshot } from '../helpers/files.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-sealdirs-'));
}

/** A tree with nested, empty, binary and executable entries. */
function makeTree(root: string): void {
  fs.mkdirSync(path.join(root, 'sub', 'deeper'), { recursive: true });
  fs.mkdirSync(path.join(root, 'empty'));
  fs.writeFileSync(path.join(root, 'a.txt'), 'alpha\n');
  fs.writeFileSync(path.join(root, 'sub', 'deeper', 'bytes.bin'), Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251)));
  fs.writeFileSync(path.join(root, 'sub', `${'long-name-'.repeat(15)}.txt`), '');
  fs.writeFileSync(path.join(root, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
}


async function bytes(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function* of(b: Buffer): AsyncGenerator<Uint8Array> {
  yield b;
}

/** A tar stream made with tar-stream directly, entries as given (what an attacker could write). */
async function craftedTar(entries: { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string; body?: string }[]): Promise<Buffer> {
  const p = tar.pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', ...(e.linkname !== undefined ? { linkname: e.linkname } : {}) };
    if (e.type === 'file' || e.type === undefined) p.entry(header, e.body ?? 'x');
    else p.entry(header);
  }
  p.finalize();
  return bytes(p as unknown as AsyncIterable<Uint8Array>);
}

describe('§10.1 directories as a tar stream inside age', () => {
  test('§10.1 the tar stream of a directory is deterministic and extracts to the same files, empty directories and execute bits', async () => {
    const root = tmp();
    makeTree(path.join(root, 'src'));
    const first = await bytes(packDirectory(path.join(root, 'src')));
    fs.utimesSync(path.join(root, 'src', 'a.txt'), new Date(1e12), new Date(1e12));
    assert.ok(first.equals(await bytes(packDirectory(path.join(root, 'src')))), 'same bytes whatever the mtimes');
    await unpackInto(of(first), path.join(root, 'out'));
    assert.deepEqual(snapshot(path.join(root, 'out')), snapshot(path.join(root, 'src')));
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10.1 a directory holding a symlink, or a FIFO, is refused with its path, and stays as it was', async () => {
    const root = tmp();
    const dir = path.join(root, 'out');
    makeTree(dir);
    fs.symlinkSync('/etc/passwd', path.join(dir, 'sub', 'link'));
    const before = fs.readdirSync(dir, { recursive: true }).sort();
    const r = X25519Identity.generate().recipient();
    await assert.rejects(sealDirectoryInPlace(dir, [r]), (e: unknown) => e instanceof TarError && e.message.includes(path.join(dir, 'sub', 'link')) && /symbolic link/.test(e.message));
    assert.deepEqual(fs.readdirSync(dir, { recursive: true }).sort(), before);
    assert.ok(!fs.existsSync(`${dir}.sealing`));
    fs.rmSync(path.join(dir, 'sub', 'link'));
    const fifo = path.join(dir, 'pipe');
    const made = (await import('node:child_process')).spawnSync('mkfifo', [fifo]).status === 0;
    if (made) assert.throws(() => packDirectory(dir), /pipe is a FIFO/);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10.1 a tar with a ".." entry is refused and nothing is written outside the directory', async () => {
    const root = tmp();
    const t = await craftedTar([{ name: 'ok.txt' }, { name: 'sub/../../escaped.txt', body: 'evil' }]);
    await assert.rejects(unpackInto(of(t), path.join(root, 'x')), (e: unknown) => e instanceof TarError && /"\.\." component/.test(e.message));
    assert.ok(!fs.existsSync(path.join(root, 'escaped.txt')));
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10.1 a tar with an absolute entry name is refused', async () => {
    const root = tmp();
    const target = path.join(root, 'abs-target.txt');
    const t = await craftedTar([{ name: target, body: 'evil' }]);
    await assert.rejects(unpackInto(of(t), path.join(root, 'x')), (e: unknown) => e instanceof TarError && /absolute name/.test(e.message));
    assert.ok(!fs.existsSync(target));
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10.1 a tar with a symlink or hard-link entry is refused, and a file written through it would go nowhere', async () => {
    const root = tmp();
    const sym = await craftedTar([{ name: 'l', type: 'symlink', linkname: '/etc' }, { name: 'l/passwd', body: 'evil' }]);
    await assert.rejects(unpackInto(of(sym), path.join(root, 'x')), (e: unknown) => e instanceof TarError && /symbolic link/.test(e.message));
    assert.ok(!fs.existsSync(path.join(root, 'x', 'l')), 'no link was created');
    const hard = await craftedTar([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]);
    await assert.rejects(unpackInto(of(hard), path.join(root, 'y')), (e: unknown) => e instanceof TarError && /hard link/.test(e.message));
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10.1 the worker checks a directory input\'s ciphertext hash before decrypting, then untars it into its private input directory', async () => {
    const root = tmp();
    const runIdentity = X25519Identity.generate();
    const dir = path.join(root, 'run', 'build', 'index');
    makeTree(dir);
    const want = snapshot(dir);
    const { sha256 } = await sealDirectoryInPlace(dir, [runIdentity.recipient()]);
    assert.ok(fs.statSync(dir).isFile(), 'the directory is now one age file at the same path');
    const kr = generateKeyPairSync('x25519');
    const fileKey = unwrapFileKey(await readHeaderOfFile(dir), [runIdentity]);
    const released = sealForWorker(x25519Raw(kr.publicKey), 'use[0]#1', [{ sha256, fileKey }]);
    const wrappedKey = released.wrappedKeys[0];
    const msg = (scratch: string, recorded: string) => ({
      type: 'assign', id: 'use[0]#1', label: 'use', exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: {} },
      inputs: { index: { class: 'Directory', path: dir, size: fs.statSync(dir).size, sha256 } }, outputs: [], threads: 1,
      scratchDir: path.join(root, scratch), outDir: path.join(root, 'o'), logBase: path.join(root, 'l'),
      sealed: { files: { [dir]: { sha256: recorded, wrappedKey } }, keyShare: released.keyShare, recipients: [runIdentity.recipient().toString()] },
    }) as unknown as Parameters<typeof prepareSealed>[0];

    const ok = await prepareSealed(msg('s', sha256), kr.privateKey);
    const given = ok.msg.inputs['index'] as { class: string; path: string; sha256?: string };
    assert.equal(given.class, 'Directory');
    assert.equal(given.sha256, undefined, 'the step sees a plain directory value');
    assert.ok(given.path.startsWith(path.join(root, 's.in')), 'in the attempt\'s private input directory');
    assert.equal(path.basename(given.path), 'index');
    assert.deepEqual(snapshot(given.path), want);
    await ok.finish({ type: 'cancelled' } as Parameters<typeof ok.finish>[0], new Keeper(path.join(root, 's'), path.join(root, 'o'), true));
    assert.ok(!fs.existsSync(path.join(root, 's.in')), 'the plaintext is removed after the attempt');

    const tampered = fs.readFileSync(dir);
    tampered[tampered.length - 100] = (tampered[tampered.length - 100] ?? 0) ^ 1;
    fs.writeFileSync(dir, tampered);
    await assert.rejects(prepareSealed(msg('t', sha256), kr.privateKey), /not the one the master recorded/);
    // The worker wipes its input directory when an input fails (docs/protocol.md §10.7): absent counts as empty.
    const written = (fs.existsSync(path.join(root, 't.in')) ? (fs.readdirSync(path.join(root, 't.in'), { recursive: true }) as string[]) : []).filter((p) => !fs.statSync(path.join(root, 't.in', p)).isDirectory());
    assert.deepEqual(written, [], 'nothing was decrypted or extracted');
    assert.ok(!fs.existsSync(path.join(root, 't.in', '0', 'index')), 'no extraction started');
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10.1 a sealed directory decrypts with the standard streaming decryption to its tar stream', async () => {
    const root = tmp();
    const owner = X25519Identity.generate();
    const dir = path.join(root, 'tree');
    makeTree(dir);
    const want = snapshot(dir);
    const tarBytes = await bytes(packDirectory(dir));
    await sealDirectoryInPlace(dir, [owner.recipient()]);
    const plain = await bytes(decrypt([owner], fs.readFileSync(dir)));
    assert.ok(plain.equals(tarBytes));
    await unpackInto(of(plain), path.join(root, 'back'));
    assert.deepEqual(snapshot(path.join(root, 'back')), want);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe('§10.2 sealed non-file values', () => {
  test('§10.2 a small sealed value is an armored age file that the streaming decryption reads too', async () => {
    const id = X25519Identity.generate();
    const other = X25519Identity.generate();
    for (const size of [0, 1, 65_536, 65_537, 200_000]) {
      const plain = Buffer.alloc(size, 0x61);
      const armored = sealSmall([id.recipient(), other.recipient()], plain);
      assert.match(armored, /^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      assert.ok(openSmall([id], armored).equals(plain), `size ${size}`);
      assert.ok(openSmall([other], armored).equals(plain));
      assert.ok((await bytes(decrypt([id], Buffer.from(armored)))).equals(plain), `streaming decrypt, size ${size}`);
    }
    const armored = sealSmall([id.recipient()], Buffer.from('"secret"'));
    assert.throws(() => openSmall([other], armored), /no identity matches/);
    const lines = armored.split('\n');
    const b = Buffer.from(lines.slice(1, -2).join(''), 'base64');
    b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1;
    assert.throws(() => openSmall([id], b), /corrupt or was modified/);
  });

  test('§10.2 the worker seals each non-file port value and the master reveals the same values', async () => {
    const runIdentity = X25519Identity.generate();
    const root = tmp();
    const outputs = { n: 42, s: 'CANARY-value', b: false, j: { k: [1, 'two'] }, list: ['x', 'y'], none: null, f: { class: 'File', path: path.join(root, 'f.txt') } };
    const sealed = await sealDirectoriesAndValues(outputs, [runIdentity.recipient()]);
    const text = JSON.stringify(sealed);
    // (Only strings that base64 cannot contain by chance: quotes, a hyphenated word, the number as a JSON member.)
    assert.ok(!text.includes('CANARY-value') && !text.includes('"two"') && !text.includes('"n":42') && !text.includes('"b":false'), 'no plaintext left in the sealed outputs');
    assert.equal((sealed['n'] as { class: string }).class, 'Sealed');
    assert.equal(sealed['none'], null, 'an absent optional value stays null');
    assert.deepEqual(sealed['f'], outputs.f, 'file values are sealed by the file path, not here');
    assert.deepEqual(revealValues(sealed, (age) => openSmall([runIdentity], age).toString('utf8')), outputs);
    assert.deepEqual(sealPortValues({ x: sealed['n'] ?? null }, () => assert.fail('a sealed value is not sealed again')), { x: sealed['n'] });
    fs.rmSync(root, { recursive: true, force: true });
  });
});
