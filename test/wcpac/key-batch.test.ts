/**
 * docs/protocol.md §7.1: a release's file keys under one exchange. The
 * master seals every file key of a step under one derived key; each entry
 * opens only for its step attempt and the ciphertext hash it names, so a
 * forged, short, reordered, replayed or foreign entry is refused — in the
 * primitives and through the worker's opening of a sealed assignment.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readHeaderOfFile, unwrapFileKey } from '../../src/crypto/index.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { BATCH_ENTRY_BYTES, fileKeyOpener, fileKeySealer, ProvisionError, x25519Raw } from '../../src/protocol/wcpac-crypto.js';
import type { SealedAssignMsg } from '../../src/protocol/sealed.js';
import { sealInPlace } from '../../src/worker/attested/sealed-io.js';
import { prepareSealed } from '../../src/worker/attested/sealed.js';
import { sealForWorker } from '../helpers/released-keys.js';

const refused = (reason: string) => (e: unknown) => e instanceof ProvisionError && e.reason === reason;
const hashA = 'a'.repeat(64);
const hashB = 'b'.repeat(64);

function batchOf(step: string, keys: { sha256: string; fileKey: Buffer }[]) {
  const worker = generateKeyPairSync('x25519');
  const sealer = fileKeySealer(x25519Raw(worker.publicKey));
  const entries = keys.map((k) => sealer.seal(step, k.sha256, k.fileKey));
  sealer.dispose();
  return { worker, share: sealer.share, entries };
}

describe('§7.1 a release\'s file keys under one exchange', () => {
  test('every file key of a release opens with one exchange, for its own step and ciphertext hash', () => {
    const a = randomBytes(16);
    const b = randomBytes(16);
    const { worker, share, entries } = batchOf('s[0]#1', [{ sha256: hashA, fileKey: a }, { sha256: hashB, fileKey: b }]);
    assert.equal(share.length, 32);
    assert.ok(entries.every((e) => e.length === BATCH_ENTRY_BYTES));
    const opener = fileKeyOpener(worker.privateKey, share, entries);
    assert.deepEqual(opener.open('s[0]#1', hashA, entries[0]!), a);
    assert.deepEqual(opener.open('s[0]#1', hashB, entries[1]!), b);
  });

  test('a reordered batch is refused: an entry does not open under the other file\'s hash', () => {
    const { worker, share, entries } = batchOf('s[0]#1', [{ sha256: hashA, fileKey: randomBytes(16) }, { sha256: hashB, fileKey: randomBytes(16) }]);
    const opener = fileKeyOpener(worker.privateKey, share, entries);
    assert.throws(() => opener.open('s[0]#1', hashA, entries[1]!), refused('bad-ciphertext'));
    assert.throws(() => opener.open('s[0]#1', hashB, entries[0]!), refused('bad-ciphertext'));
  });

  test('a replayed batch is refused: a release for one step does not open for another attempt, nor under another release\'s share', () => {
    const key = randomBytes(16);
    const first = batchOf('s[0]#1', [{ sha256: hashA, fileKey: key }]);
    assert.throws(() => fileKeyOpener(first.worker.privateKey, first.share, first.entries).open('s[0]#2', hashA, first.entries[0]!), refused('bad-ciphertext'));
    const sealer = fileKeySealer(x25519Raw(first.worker.publicKey));
    const second = sealer.seal('s[0]#1', hashA, key);
    assert.notDeepEqual(sealer.share, first.share, 'every release has its own ephemeral key');
    assert.throws(() => fileKeyOpener(first.worker.privateKey, sealer.share, [first.entries[0]!]).open('s[0]#1', hashA, first.entries[0]!), refused('bad-ciphertext'));
    assert.deepEqual(fileKeyOpener(first.worker.privateKey, sealer.share, [second]).open('s[0]#1', hashA, second), key);
  });

  test('a batch naming a file that was not released is refused: no entry opens under that file\'s hash', () => {
    const { worker, share, entries } = batchOf('s[0]#1', [{ sha256: hashA, fileKey: randomBytes(16) }]);
    const opener = fileKeyOpener(worker.privateKey, share, entries);
    assert.throws(() => opener.open('s[0]#1', 'c'.repeat(64), entries[0]!), refused('bad-ciphertext'));
    assert.throws(() => opener.open('s[0]#1', hashB, entries[0]!), refused('bad-ciphertext'));
  });

  test('a forged entry is refused, and a batch for another worker\'s key opens nowhere else', () => {
    const { worker, share, entries } = batchOf('s[0]#1', [{ sha256: hashA, fileKey: randomBytes(16) }]);
    for (const at of [0, 12, 20, 28, 43]) {
      const forged = Buffer.from(entries[0]!);
      forged[at]! ^= 1;
      assert.throws(() => fileKeyOpener(worker.privateKey, share, [forged]).open('s[0]#1', hashA, forged), refused('bad-ciphertext'), `byte ${at}`);
    }
    const other = generateKeyPairSync('x25519');
    assert.throws(() => fileKeyOpener(other.privateKey, share, entries).open('s[0]#1', hashA, entries[0]!), refused('bad-ciphertext'));
  });

  test('a short entry, a short key share, a repeated nonce or a low-order share are refused before any key is opened', () => {
    const { worker, share, entries } = batchOf('s[0]#1', [{ sha256: hashA, fileKey: randomBytes(16) }, { sha256: hashB, fileKey: randomBytes(16) }]);
    assert.throws(() => fileKeyOpener(worker.privateKey, share, [entries[0]!.subarray(0, 43), entries[1]!]), refused('bad-batch'));
    assert.throws(() => fileKeyOpener(worker.privateKey, share, [Buffer.concat([entries[0]!, Buffer.alloc(1)])]), refused('bad-batch'));
    assert.throws(() => fileKeyOpener(worker.privateKey, share.subarray(0, 31), entries), refused('bad-batch'));
    const sameNonce = Buffer.concat([entries[0]!.subarray(0, 12), entries[1]!.subarray(12)]);
    assert.throws(() => fileKeyOpener(worker.privateKey, share, [entries[0]!, sameNonce]), refused('bad-batch'));
    assert.throws(() => fileKeyOpener(worker.privateKey, Buffer.alloc(32), entries), refused('bad-batch'));
    for (const n of [0, 31, 33]) assert.throws(() => fileKeySealer(randomBytes(n)), refused('bad-public-key'), `a ${n}-byte worker key`);
  });
});

describe('§7.1 the worker opens a sealed assignment\'s batch', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-key-batch-'));

  async function assignment(dir: string) {
    const run = X25519Identity.generate();
    const kr = generateKeyPairSync('x25519');
    const paths: string[] = [];
    const keys: { sha256: string; fileKey: Uint8Array }[] = [];
    for (const [i, text] of ['first input', 'second input'].entries()) {
      const f = path.join(dir, `in-${i}.txt`);
      fs.writeFileSync(f, text);
      const s = await sealInPlace(f, [run.recipient()]);
      keys.push({ sha256: s.sha256, fileKey: unwrapFileKey(await readHeaderOfFile(f), [run]) });
      paths.push(f);
    }
    const release = sealForWorker(x25519Raw(kr.publicKey), 'use[0]#1', keys);
    const files = Object.fromEntries(paths.map((p, i) => [p, { sha256: keys[i]!.sha256, wrappedKey: release.wrappedKeys[i]! }]));
    const msg = (scratch: string, sealed: Partial<SealedAssignMsg['sealed']>): SealedAssignMsg =>
      ({
        type: 'assign', id: 'use[0]#1', label: 'use', exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: {} },
        inputs: { xs: paths.map((p) => ({ class: 'File', path: p })) }, outputs: [], threads: 1,
        scratchDir: path.join(dir, scratch), outDir: path.join(dir, `${scratch}.out`), logBase: path.join(dir, `${scratch}.log`),
        sealed: { files, keyShare: release.keyShare, recipients: [run.recipient().toString()], ...sealed },
      }) as unknown as SealedAssignMsg;
    return { kr, paths, files, msg };
  }

  test('an honest batch opens every input; a reordered one fails the attempt and leaves no plaintext', async () => {
    const dir = tmp();
    try {
      const { kr, paths, files, msg } = await assignment(dir);
      const ok = await prepareSealed(msg('a', {}), kr.privateKey, path.join(dir, 'code'));
      assert.deepEqual((ok.msg.inputs['xs'] as { path: string }[]).map((f) => fs.readFileSync(f.path, 'utf8')), ['first input', 'second input']);
      const [p0, p1] = paths as [string, string];
      const swapped = { [p0]: { ...files[p0]!, wrappedKey: files[p1]!.wrappedKey }, [p1]: { ...files[p1]!, wrappedKey: files[p0]!.wrappedKey } };
      await assert.rejects(prepareSealed(msg('b', { files: swapped }), kr.privateKey, path.join(dir, 'code')), /does not authenticate/);
      assert.ok(!fs.existsSync(path.join(dir, 'b.in')), 'nothing opened survives the refusal');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a batch replayed onto another attempt, or keys without a key share, are refused', async () => {
    const dir = tmp();
    try {
      const { kr, msg } = await assignment(dir);
      const replayed = { ...msg('c', {}), id: 'use[0]#2' } as SealedAssignMsg;
      await assert.rejects(prepareSealed(replayed, kr.privateKey, path.join(dir, 'code')), /does not authenticate for step use\[0\]#2/);
      const { keyShare: _k, ...noShare } = msg('d', {}).sealed;
      await assert.rejects(prepareSealed({ ...msg('d', {}), sealed: noShare }, kr.privateKey, path.join(dir, 'code')), /without a key share/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an input whose key was not released is not opened: the attempt fails naming it', async () => {
    const dir = tmp();
    try {
      const { kr, paths, files, msg } = await assignment(dir);
      const onlyFirst = { [paths[0]!]: files[paths[0]!]! };
      await assert.rejects(prepareSealed(msg('e', { files: onlyFirst }), kr.privateKey, path.join(dir, 'code')), /no file key was released for input .*in-1\.txt/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
