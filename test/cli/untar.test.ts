/**
 * `sealflow decrypt --untar DIR` on malicious archives (docs/encryption.md,
 * protocol §10.1): each is refused as a failure to decrypt that file — exit
 * 1, a message naming the file and the archive member — never an internal
 * error; DIR is not created and nothing is written outside it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import tar from 'tar-stream';
import { encrypt, X25519Identity } from '../../src/crypto/index.js';
import { runCli } from '../helpers/cli.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo'; linkname?: string; body?: string; pax?: Record<string, string> };

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** A tar stream written with tar-stream directly, entries as given (what an attacker could write). */
function craftedTar(entries: readonly Entry[]): Promise<Buffer> {
  const p = tar.pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', ...(e.linkname !== undefined ? { linkname: e.linkname } : {}), ...(e.pax !== undefined ? { pax: e.pax } : {}) };
    if (header.type === 'file') p.entry(header, e.body ?? 'x');
    else p.entry(header);
  }
  p.finalize();
  return collect(p as unknown as AsyncIterable<Uint8Array>);
}

/** A ustar header whose size field claims 8 GiB (octal), followed by a few bytes and the end. */
function hugeHeaderTar(): Buffer {
  const h = Buffer.alloc(512);
  h.write('big.bin', 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write('77777777777\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\x0000', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, Buffer.alloc(1024, 0x41)]);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-untar-'));
const id = X25519Identity.generate();
const keyFile = path.join(root, 'owner.key');
fs.writeFileSync(keyFile, `${id.toString()}\n`, { mode: 0o600 });

async function untar(name: string, tarBytes: Buffer): Promise<{ code: number; stderr: string; dir: string }> {
  const work = fs.mkdtempSync(path.join(root, `${name}-`));
  const file = path.join(work, 'index.tar.age');
  fs.writeFileSync(file, await collect(encrypt([id.recipient()], tarBytes)));
  const dir = path.join(work, 'out');
  const r = await runCli(['decrypt', '-i', keyFile, '--untar', dir, file], { cwd: work, env: { SEALFLOW_HOME: path.join(work, 'home') } });
  return { code: r.code, stderr: r.stderr, dir };
}

const MALICIOUS: ReadonlyArray<{ readonly what: string; readonly member: string; readonly tar: () => Promise<Buffer> | Buffer; readonly why: RegExp }> = [
  { what: 'a path traversal (../)', member: '../escaped.txt', tar: () => craftedTar([{ name: '../escaped.txt', body: 'evil' }]), why: /has a "\.\." component/ },
  { what: 'a traversal hidden in the middle of a name', member: 'a/../../escaped.txt', tar: () => craftedTar([{ name: 'a/../../escaped.txt' }]), why: /has a "\.\." component/ },
  { what: 'an absolute name', member: '/tmp/sealflow-untar-abs.txt', tar: () => craftedTar([{ name: '/tmp/sealflow-untar-abs.txt' }]), why: /has an absolute name/ },
  { what: 'a symbolic link pointing outside', member: 'link', tar: () => craftedTar([{ name: 'link', type: 'symlink', linkname: '/etc' }, { name: 'link/passwd', body: 'evil' }]), why: /is a symbolic link/ },
  { what: 'a hard link to a file outside', member: 'hard', tar: () => craftedTar([{ name: 'hard', type: 'link', linkname: '/etc/passwd' }]), why: /is a hard link/ },
  { what: 'a character device', member: 'null', tar: () => craftedTar([{ name: 'null', type: 'character-device' }]), why: /of type character-device/ },
  { what: 'a FIFO', member: 'pipe', tar: () => craftedTar([{ name: 'pipe', type: 'fifo' }]), why: /of type fifo/ },
  { what: 'the same file twice', member: 'twice.txt', tar: () => craftedTar([{ name: 'twice.txt' }, { name: 'twice.txt' }]), why: /appears twice/ },
  { what: 'a pax header renaming an entry to ../', member: '../pax-escaped.txt', tar: () => craftedTar([{ name: 'innocent.txt', pax: { path: '../pax-escaped.txt' } }]), why: /has a "\.\." component/ },
  { what: 'a file and then a directory through it', member: 'f/inner.txt', tar: () => craftedTar([{ name: 'f', body: 'x' }, { name: 'f/inner.txt' }]), why: /cannot be created here \((ENOTDIR|EEXIST)/ },
  { what: 'a name longer than the file system allows', member: 'n'.repeat(300), tar: () => craftedTar([{ name: 'n'.repeat(300) }]), why: /cannot be created here \(ENAMETOOLONG\)/ },
  { what: 'a header claiming an 8 GiB member in a short stream', member: '', tar: hugeHeaderTar, why: /not a valid tar stream/ },
  {
    what: 'a header with a broken checksum',
    member: '',
    tar: async () => {
      const t = await craftedTar([{ name: 'ok.txt' }]);
      t[0] = 0x7a;
      return t;
    },
    why: /not a valid tar stream/,
  },
];

describe('sealflow decrypt --untar refuses malicious archives as user-facing errors', () => {
  for (const m of MALICIOUS) {
    test(`an archive with ${m.what} exits 1 naming the file and the member, creates nothing, and is no internal error`, async () => {
      const r = await untar(m.what.replace(/[^a-z0-9]+/gi, '-').slice(0, 40), await m.tar());
      assert.equal(r.code, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /internal error/);
      assert.match(r.stderr, /--untar .*out: cannot extract .*index\.tar\.age: /);
      assert.match(r.stderr, m.why);
      if (m.member !== '') assert.ok(r.stderr.includes(JSON.stringify(m.member)), `the message names the member: ${r.stderr}`);
      assert.match(r.stderr, /Nothing was extracted/);
      assert.ok(!fs.existsSync(r.dir), 'DIR is not created');
      assert.deepEqual(fs.readdirSync(path.dirname(r.dir)).filter((f) => f !== 'index.tar.age' && f !== 'home'), [], 'no partial directory or escaped file beside DIR');
      assert.ok(!fs.existsSync(path.join(root, 'escaped.txt')) && !fs.existsSync('/tmp/sealflow-untar-abs.txt'));
    });
  }

  test('a well-formed archive still extracts', async () => {
    const r = await untar('good', await craftedTar([{ name: 'd', type: 'directory' }, { name: 'd/a.txt', body: 'alpha' }]));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(r.dir, 'd', 'a.txt'), 'utf8'), 'alpha');
  });
});
