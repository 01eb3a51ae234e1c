/**
 * docs/protocol.md §8.2, §10.6, §10.7, unit level: an owner input's keyed
 * resume hash comes from its admission pass and equals hashing the file
 * separately; the broker unwraps a recorded ciphertext's file key once and
 * reuses it only for the same id and hash; a step's files are sealed and
 * opened a few at a time with the same bytes as one at a time.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt, readHeaderOfFile, unwrapFileKey } from '../../src/crypto/index.js';
import type { Identity, Stanza } from '../../src/crypto/types.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { sealPlainInput } from '../../src/master/admit-file.js';
import { fileKeyOf, forgetFileKeys } from '../../src/master/broker/file-keys.js';
import { ContentHasher } from '../../src/engine/hash.js';
import { forEachLimited } from '../../src/worker/attested/concurrent.js';
import { openVerified, sealInPlace } from '../../src/worker/attested/sealed-io.js';
import { prepareSealed } from '../../src/worker/attested/sealed.js';
import { sealForWorker } from '../helpers/released-keys.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-wcperf-'));
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `n` bytes that differ per `seed`, not a whole number of 64 KiB chunks. */
function payload(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i + 4 <= n; i += 4096) b.writeUInt32LE((i * 31 + seed) >>> 0, i);
  return b;
}

async function plainOf(id: X25519Identity, ct: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of decrypt([id], ct)) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

/** An identity that counts how often it is asked to unwrap. */
function counting(inner: Identity): Identity & { calls: number } {
  const c = {
    calls: 0,
    unwrapFileKey(stanzas: readonly Stanza[]) {
      c.calls++;
      return inner.unwrapFileKey(stanzas);
    },
  };
  return c;
}

describe('§10.6 an owner input is read once for admission and resume hash', () => {
  test('§10.6 sealPlainInput yields the keyed hash ContentHasher computes from the file, and a ciphertext that decrypts to it', async () => {
    const dir = tmp();
    try {
      const plain = path.join(dir, 'corpus.txt');
      const data = payload(9 * 1024 * 1024 + 13, 1); // past the crypto pool's threshold
      fs.writeFileSync(plain, data);
      const key = Buffer.alloc(32, 9);
      const broker = X25519Identity.generate();
      const r = await sealPlainInput(plain, path.join(dir, 'a.age'), [broker.recipient()], key);
      assert.equal(r.keyed, new ContentHasher(key).file(plain));
      assert.notEqual(r.keyed, new ContentHasher(Buffer.alloc(32, 8)).file(plain), 'the digest depends on the key');
      const ct = fs.readFileSync(path.join(dir, 'a.age'));
      assert.equal(r.sha256, sha(ct));
      assert.ok((await plainOf(broker, ct)).equals(data));
      const unkeyed = await sealPlainInput(plain, path.join(dir, 'b.age'), [broker.recipient()]);
      assert.equal(unkeyed.keyed, undefined, 'no hash key: no keyed digest');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§10.6 warmFiles takes a digest the admission gave and hashes only the files it did not', async () => {
    const dir = tmp();
    try {
      const given = path.join(dir, 'given.txt');
      const other = path.join(dir, 'other.txt');
      fs.writeFileSync(given, 'admitted\n');
      fs.writeFileSync(other, 'not admitted\n');
      const key = Buffer.alloc(32, 3);
      const h = new ContentHasher(key);
      const asked: string[] = [];
      await h.warmFiles({ a: { class: 'File', path: given }, b: [{ class: 'File', path: other }] }, async (p) => {
        asked.push(p);
        return p === given ? 'digest-from-admission' : undefined;
      });
      assert.deepEqual(asked.sort(), [given, other].sort());
      assert.equal(h.file(given), 'digest-from-admission');
      assert.equal(h.file(other), new ContentHasher(key).file(other));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('§8.2 file keys unwrapped once per recorded ciphertext', () => {
  test('§8.2 the kept key is the unwrapped one, reused only for the same id and hash, and dropped when the broker closes', async () => {
    const dir = tmp();
    try {
      const run = X25519Identity.generate();
      const other = X25519Identity.generate();
      const ids = { run: counting(run), broker: counting(other) };
      const calls = () => ids.run.calls + ids.broker.calls;
      const f1 = path.join(dir, 'one');
      const f2 = path.join(dir, 'two');
      fs.writeFileSync(f1, 'first');
      fs.writeFileSync(f2, 'second');
      const s1 = await sealInPlace(f1, [run.recipient()]);
      const s2 = await sealInPlace(f2, [run.recipient()]);
      const h1 = await readHeaderOfFile(f1);
      const h2 = await readHeaderOfFile(f2);
      const broker = {};

      const k1 = fileKeyOf(broker, 'x', s1.sha256, h1, 'output', ids);
      assert.deepEqual(Buffer.from(k1), Buffer.from(unwrapFileKey(h1, [run])));
      const n = calls();
      k1.fill(0); // the caller zeroes its copy; the kept key is unaffected
      const again = fileKeyOf(broker, 'x', s1.sha256, h1, 'output', ids);
      assert.equal(calls(), n, 'same id and hash: no unwrap');
      assert.deepEqual(Buffer.from(again), Buffer.from(unwrapFileKey(h1, [run])));

      // The id re-recorded with another ciphertext: unwrapped afresh, its own key.
      const k2 = fileKeyOf(broker, 'x', s2.sha256, h2, 'output', ids);
      assert.ok(calls() > n);
      assert.deepEqual(Buffer.from(k2), Buffer.from(unwrapFileKey(h2, [run])));
      assert.notDeepEqual(Buffer.from(k2), Buffer.from(again));

      // Another broker keeps its own; a closed broker has none.
      const m = calls();
      fileKeyOf({}, 'x', s2.sha256, h2, 'output', ids);
      assert.ok(calls() > m);
      forgetFileKeys(broker);
      const q = calls();
      fileKeyOf(broker, 'x', s2.sha256, h2, 'output', ids);
      assert.ok(calls() > q, 'after forgetFileKeys the key is unwrapped again');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('§10.7 a step\'s files a few at a time', () => {
  test('§10.7 forEachLimited gives timers a turn during thousands of synchronous jobs (a heartbeat is not starved)', async () => {
    let doneAtTimer = -1;
    let done = 0;
    const timer = setTimeout(() => (doneAtTimer = done), 0);
    const results = await forEachLimited(Array.from({ length: 5000 }, (_, i) => i), async (x) => {
      const until = performance.now() + 0.01;
      while (performance.now() < until); // synchronous work, as a small file's seal or open
      done++;
      return x * 2;
    });
    clearTimeout(timer);
    assert.equal(results.length, 5000);
    assert.equal(results[4999], 9998);
    assert.ok(doneAtTimer >= 0 && doneAtTimer < 5000, `the timer ran after ${doneAtTimer} of 5000 jobs`);
  });

  test('§10.7 forEachLimited runs every job, at most `limit` at once, results in order', async () => {
    let active = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const run = forEachLimited([1, 2, 3, 4, 5, 6, 7], async (x) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise<void>((r) => gates.push(r));
      active--;
      return x * 10;
    }, 3);
    // Release the jobs one by one, as they start (no timing: each job waits for its gate).
    let released = 0;
    while (released < 7) {
      await new Promise((r) => setImmediate(r));
      const g = gates.shift();
      if (g) {
        g();
        released++;
      }
    }
    assert.deepEqual(await run, [10, 20, 30, 40, 50, 60, 70]);
    assert.equal(peak, 3);
  });

  test('§10.7 forEachLimited settles every job before throwing the first failure in order', async () => {
    const finished: number[] = [];
    await assert.rejects(
      forEachLimited([1, 2, 3, 4], async (x) => {
        await new Promise((r) => setImmediate(r));
        finished.push(x);
        if (x === 2 || x === 3) throw new Error(`job ${x}`);
        return x;
      }, 2),
      /job 2/,
    );
    assert.deepEqual(finished.sort(), [1, 2, 3, 4]);
  });

  test('§10.7 outputs sealed at once decrypt to the same bytes, and open at once with their hash checks', async () => {
    const dir = tmp();
    try {
      const id = X25519Identity.generate();
      const datas = [payload(9 * 1024 * 1024 + 1, 2), payload(5 * 1024 * 1024 + 77, 3), payload(100, 4), payload(0, 5)];
      const files = datas.map((d, i) => {
        const f = path.join(dir, `out-${i}`);
        fs.writeFileSync(f, d);
        return f;
      });
      const sealed = await forEachLimited(files, (f) => sealInPlace(f, [id.recipient()]));
      for (const [i, f] of files.entries()) {
        const ct = fs.readFileSync(f);
        assert.equal(sealed[i]?.sha256, sha(ct));
        assert.ok((await plainOf(id, ct)).equals(datas[i] as Buffer), `output ${i}`);
      }
      const opened = files.map((f) => `${f}.plain`);
      await forEachLimited(files, async (f, i) => openVerified(f, unwrapFileKey(await readHeaderOfFile(f), [id]), opened[i] as string, sealed[i]?.sha256 ?? null));
      for (const [i, f] of opened.entries()) assert.ok(fs.readFileSync(f).equals(datas[i] as Buffer));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§10.7 a log sealed to its destination leaves the plaintext for its owner and writes a 0600 ciphertext there', async () => {
    const dir = tmp();
    try {
      const id = X25519Identity.generate();
      const log = path.join(dir, 'log.out');
      const dest = path.join(dir, 'logs', 'step.out.age');
      fs.mkdirSync(path.dirname(dest));
      fs.writeFileSync(log, 'hello\n');
      fs.writeFileSync(`${dest}.sealing`, 'left by a killed attempt');
      const r = await sealInPlace(log, [id.recipient()], {}, dest);
      const ct = fs.readFileSync(dest);
      assert.equal(r.sha256, sha(ct));
      assert.equal(fs.statSync(dest).mode & 0o777, 0o600);
      assert.equal((await plainOf(id, ct)).toString(), 'hello\n');
      assert.equal(fs.readFileSync(log, 'utf8'), 'hello\n');
      assert.ok(!fs.existsSync(`${dest}.sealing`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('§10.7 a step\'s inputs opened at once are each the plaintext; one failing hash check wipes those already opened', async () => {
    const dir = tmp();
    try {
      const run = X25519Identity.generate();
      const kr = generateKeyPairSync('x25519');
      const krRaw = kr.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
      const datas = [payload(6 * 1024 * 1024 + 5, 6), payload(1000, 7), payload(70_000, 8), payload(3, 9)];
      const files: Record<string, { sha256: string; wrappedKey: string }> = {};
      const paths: string[] = [];
      const keys: { sha256: string; fileKey: Uint8Array }[] = [];
      for (const [i, d] of datas.entries()) {
        const f = path.join(dir, `in-${i}.txt`);
        fs.writeFileSync(f, d);
        const s = await sealInPlace(f, [run.recipient()]);
        const fileKey = unwrapFileKey(await readHeaderOfFile(f), [run]);
        keys.push({ sha256: s.sha256, fileKey });
        files[f] = { sha256: s.sha256, wrappedKey: '' };
        paths.push(f);
      }
      const release = sealForWorker(krRaw, 'use[0]#1', keys);
      paths.forEach((p, i) => (files[p] = { ...(files[p] as { sha256: string }), wrappedKey: release.wrappedKeys[i] as string }));
      const msg = (scratch: string, sealed: typeof files) => ({
        type: 'assign', id: 'use[0]#1', label: 'use', exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: {} },
        inputs: { xs: paths.map((p) => ({ class: 'File', path: p })) }, outputs: [], threads: 1,
        scratchDir: path.join(dir, scratch), outDir: path.join(dir, `${scratch}.out`), logBase: path.join(dir, `${scratch}.log`),
        sealed: { files: sealed, keyShare: release.keyShare, recipients: [run.recipient().toString()] },
      }) as unknown as Parameters<typeof prepareSealed>[0];

      const ok = await prepareSealed(msg('a', files), kr.privateKey, path.join(dir, 'code'));
      const opened = (ok.msg.inputs['xs'] as { path: string }[]).map((f) => f.path);
      assert.equal(opened.length, datas.length);
      for (const [i, p] of opened.entries()) {
        assert.ok(fs.readFileSync(p).equals(datas[i] as Buffer), `input ${i}`);
        assert.equal(path.basename(p), `in-${i}.txt`);
      }

      const wrong = { ...files, [paths[2] as string]: { ...(files[paths[2] as string] as { sha256: string; wrappedKey: string }), sha256: 'f'.repeat(64) } };
      await assert.rejects(prepareSealed(msg('b', wrong), kr.privateKey, path.join(dir, 'code')), /not the one the master recorded/);
      assert.ok(!fs.existsSync(path.join(dir, 'b.in')), 'the inputs opened before the failure are wiped');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
