/**
 * docs/protocol.md §15.8, the worker's side: an input whose source is
 * `lazy` (a host without the master's disk) is pulled from its producer; if
 * that fails, the worker waits for the master's `staged` answer and reads
 * the copy it names — checked against the recorded SHA-256 before anything
 * is decrypted, like every input. A refused copy fails the attempt; a
 * `staged` message nobody waits for is ignored.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readHeaderOfFile, unwrapFileKey } from '../../src/crypto/index.js';
import type { Channel } from '../../src/protocol/channel.js';
import type { SealedMasterToWorker, SealedWorkerToMaster, TransferMsg } from '../../src/protocol/data-port.js';
import type { SealedAssignMsg } from '../../src/protocol/sealed.js';
import { x25519Raw } from '../../src/protocol/wcpac-crypto.js';
import { sealForWorker } from '../helpers/released-keys.js';
import { openDataFlow } from '../../src/worker/attested/data-flow.js';
import { prepareSealed } from '../../src/worker/attested/sealed.js';
import { ciphertext, runPki } from './data-pki.js';

/** A port nothing listens on (bound, then closed): a pull from it fails at once. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function channelPair() {
  const handlers: ((m: SealedMasterToWorker) => void)[] = [];
  const sent: SealedWorkerToMaster[] = [];
  const worker: Channel<SealedWorkerToMaster, SealedMasterToWorker> = { send: (m) => void sent.push(m), onMessage: (h) => void handlers.push(h), onClose: () => undefined, close: () => undefined };
  return { master: (m: SealedMasterToWorker) => handlers.forEach((h) => h(m)), worker, sent };
}

async function scene(text: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-staged-'));
  const pki = await runPki();
  const me = await pki.worker('b-1');
  const c = await ciphertext(text, dir);
  const kr = generateKeyPairSync('x25519');
  const fileKey = unwrapFileKey(await readHeaderOfFile(c.file), [c.identity]);
  const key = '/run/opaque-key';
  const release = sealForWorker(x25519Raw(kr.publicKey), 'consume[0]#1', [{ sha256: c.sha256, fileKey }]);
  const msg: SealedAssignMsg = {
    type: 'assign', id: 'consume[0]#1', label: 'consume[0]',
    exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: {} },
    inputs: { text: { class: 'File', path: key } }, outputs: [], threads: 1,
    scratchDir: path.join(dir, 'scratch'), outDir: path.join(dir, 'out'), logBase: path.join(dir, 'log'),
    sealed: { files: { [key]: { sha256: c.sha256, wrappedKey: release.wrappedKeys[0] as string, source: { slot: 'a-1', host: '127.0.0.1', port: await closedPort(), id: '/a/out/x.age', lazy: true } } }, keyShare: release.keyShare, recipients: [c.identity.recipient().toString()] },
  };
  const wire = channelPair();
  const flow = await openDataFlow(me, wire.worker, '127.0.0.1');
  /** Answers the first fallback report with `answer(file)` once it arrives. */
  const answerFallback = (answer: (file: string) => SealedMasterToWorker) =>
    new Promise<TransferMsg>((resolve) => {
      const send = wire.worker.send;
      wire.worker.send = (m) => {
        send(m);
        if (m.type === 'transfer' && m.outcome === 'fallback') {
          setImmediate(() => wire.master(answer(m.file)));
          resolve(m);
        }
      };
    });
  const done = async () => {
    await flow.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { dir, c, kr, msg, wire, flow, key, answerFallback, done };
}

describe('§15.8 the master\'s copy after a failed pull', () => {
  test('§15.8 a failed pull of a lazy input waits for the master\'s staged copy and decrypts it once its SHA-256 is the recorded one', async () => {
    const s = await scene('secret words\n'.repeat(100));
    try {
      const copy = path.join(s.dir, 'staged.age');
      fs.writeFileSync(copy, s.c.bytes);
      const reported = s.answerFallback((file) => ({ type: 'staged', id: 'consume[0]#1', file, path: copy }));
      const prep = await prepareSealed(s.msg, s.kr.privateKey, path.join(s.dir, 'code'), s.flow.puller);
      const t = await reported;
      assert.deepEqual([t.file, t.from, t.reason], [s.key, 'a-1', 'connect']);
      const text = prep.msg.inputs['text'] as { path: string };
      assert.equal(fs.readFileSync(text.path, 'utf8'), 'secret words\n'.repeat(100));
    } finally {
      await s.done();
    }
  });

  test('§15.8 a staged copy whose SHA-256 is not the recorded one is refused before anything is decrypted', async () => {
    const s = await scene('secret words\n'.repeat(100));
    try {
      const bad = Buffer.from(s.c.bytes);
      bad[bad.length - 5] = (bad[bad.length - 5] ?? 0) ^ 1;
      const copy = path.join(s.dir, 'staged.age');
      fs.writeFileSync(copy, bad);
      void s.answerFallback((file) => ({ type: 'staged', id: 'consume[0]#1', file, path: copy }));
      await assert.rejects(prepareSealed(s.msg, s.kr.privateKey, path.join(s.dir, 'code'), s.flow.puller), /refusing to decrypt|SHA-256/);
      const left = fs.readdirSync(s.dir, { recursive: true }).map(String).filter((f) => f.includes('scratch.in/') && !f.endsWith('.age'));
      assert.deepEqual(left.filter((f) => fs.statSync(path.join(s.dir, f)).isFile()), [], 'no plaintext was left');
    } finally {
      await s.done();
    }
  });

  test('§15.8 the master\'s refusal to copy fails the attempt, naming why', async () => {
    const s = await scene('x\n');
    try {
      void s.answerFallback((file) => ({ type: 'staged', id: 'consume[0]#1', file, error: 'the host refused the upload' }));
      await assert.rejects(prepareSealed(s.msg, s.kr.privateKey, path.join(s.dir, 'code'), s.flow.puller), /could not copy .* the host refused the upload/);
    } finally {
      await s.done();
    }
  });

  test('§15.8 a staged message nobody waits for is ignored and never reaches the executor loop', async () => {
    const s = await scene('x\n');
    try {
      const seen: unknown[] = [];
      s.flow.channel.onMessage((m) => void seen.push(m));
      s.wire.master({ type: 'staged', id: 'nothing[0]#1', file: '/etc/passwd', path: '/etc/passwd' });
      s.wire.master({ type: 'staged', id: 'consume[0]#1', file: s.key, error: 'x' });
      assert.deepEqual(seen, []);
    } finally {
      await s.done();
    }
  });
});
