/**
 * docs/protocol.md §15.1, §15.4, §15.5: the master names a live producer as
 * an input's source and keeps every worker's revocation set current; the
 * executor's data flow applies it to its data port; a consumer refuses a
 * tampered ciphertext from a producer before decrypting anything, and falls
 * back to the master's copy, which is checked the same way.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readHeaderOfFile, unwrapFileKey } from '../../src/crypto/index.js';
import { DataSources } from '../../src/master/sources.js';
import type { Channel } from '../../src/protocol/channel.js';
import type { SealedMasterToWorker, SealedWorkerToMaster } from '../../src/protocol/data-port.js';
import type { SealedAssignMsg } from '../../src/protocol/sealed.js';
import { openDataFlow } from '../../src/worker/attested/data-flow.js';
import { DataPort, type PeerIdentity } from '../../src/worker/attested/data-port.js';
import { fetchCiphertext, FetchError, puller, type TransferReport } from '../../src/worker/attested/fetch.js';
import { prepareSealed } from '../../src/worker/attested/sealed.js';
import { x25519Raw } from '../../src/protocol/wcpac-crypto.js';
import { sealForWorker } from '../helpers/released-keys.js';
import { connectRaw, expectSlot, forgeAttest, setup, type Harness } from './harness.js';
import { ciphertext } from './data-pki.js';

/** A worker attested through the broker (forged sim evidence, as in the revocation tests): its run identity. */
async function attest(h: Harness, slot: string): Promise<PeerIdentity> {
  expectSlot(h, slot);
  const c = await connectRaw(h);
  const forged = forgeAttest(h, c, slot);
  c.send(forged.msg);
  await c.closed();
  const w = h.broker.workers.get(slot);
  assert.ok(w, `${slot} attested`);
  return { runId: h.runId, runCaDer: h.runCa.certDer, certDer: w.clientCertDer, key: forged.identityKey };
}

/** An in-memory execution channel: what the master sends arrives at the worker's raw channel. */
function channelPair(): { master: (m: SealedMasterToWorker) => void; worker: Channel<SealedWorkerToMaster, SealedMasterToWorker>; sent: SealedWorkerToMaster[] } {
  const handlers: ((m: SealedMasterToWorker) => void)[] = [];
  const sent: SealedWorkerToMaster[] = [];
  return {
    master: (m) => handlers.forEach((h) => h(m)),
    worker: { send: (m) => void sent.push(m), onMessage: (h) => void handlers.push(h), onClose: () => undefined, close: () => undefined },
    sent,
  };
}

describe('§15 sources and revocation', () => {
  test('§15.4 a revoked certificate is refused by another worker\'s data port after the master revokes it, and nothing more is served', async () => {
    const h = await setup();
    const sources = new DataSources(h.broker);
    const producerId = await attest(h, 'enclaves-1');
    const consumerId = await attest(h, 'enclaves-2');
    const wire = channelPair();
    const flow = await openDataFlow(producerId, wire.worker, '127.0.0.1');
    try {
      // The producer says ready (with its data port) and produces a ciphertext the master records.
      flow.channel.send({ type: 'ready', pid: 1, host: 'h' });
      const ready = wire.sent[0];
      assert.ok(ready?.type === 'ready' && 'data' in ready && ready.data, 'ready names the data port');
      sources.join('enclaves-1', ready.data, (m) => wire.master(m));
      const c = await ciphertext('intermediate\n'.repeat(1000), h.dir);
      flow.offer({ out: { class: 'File', path: c.file, sha256: c.sha256 } });
      sources.produced('enclaves-1', c.file);
      assert.equal(sources.sourceFor(c.file, 'enclaves-1'), undefined, 'a worker reads its own outputs from the master\'s copy');
      const source = sources.sourceFor(c.file, 'enclaves-2');
      assert.deepEqual(source, { slot: 'enclaves-1', ...flow.port.address });
      await fetchCiphertext(consumerId, source, { id: c.file, sha256: c.sha256 }, path.join(h.dir, 'first.age'));
      const before = { ...flow.port.stats };

      // The consumer is declared dead: the broker revokes it, the master tells every live worker.
      h.broker.revoke('enclaves-2', 'declared dead: no heartbeat');
      assert.ok(flow.port.revoked.size === 1, 'the producer\'s data port learnt the revocation');
      const dest = path.join(h.dir, 'after.age');
      await assert.rejects(fetchCiphertext(consumerId, source, { id: c.file, sha256: c.sha256 }, dest), (e: unknown) => e instanceof FetchError);
      assert.equal(fs.existsSync(dest), false);
      assert.equal(flow.port.stats.served, before.served, 'nothing more was served');
      assert.equal(flow.port.stats.bytes, before.bytes, 'no byte more left the data port');
      assert.equal(flow.port.stats.refused['revoked'], 1);

      // A revoked producer is no longer named as a source, and a worker that joins later gets the set at once.
      h.broker.revoke('enclaves-1', 'declared dead: exited');
      assert.equal(sources.sourceFor(c.file, 'enclaves-3'), undefined);
      const late: SealedMasterToWorker[] = [];
      sources.join('enclaves-3', { host: '127.0.0.1', port: 1 }, (m) => void late.push(m));
      assert.deepEqual(late.map((m) => (m.type === 'revoked' ? m.serials.length : -1)), [2]);
    } finally {
      await flow.close();
      await h.close();
    }
  });

  test('§15.5 a tampered ciphertext from a producer is refused before decryption; the master\'s copy is used, and checked the same way', async () => {
    const h = await setup();
    const producerId = await attest(h, 'enclaves-1');
    const consumerId = await attest(h, 'enclaves-2');
    const port = await DataPort.start(producerId);
    try {
      const secret = 'SECRET-INTERMEDIATE\n'.repeat(200);
      const c = await ciphertext(secret, h.dir);
      // The producer's copy is tampered after it reported the hash; the master's copy is intact.
      const producerCopy = path.join(h.dir, 'producer-copy.age');
      const bad = Buffer.from(c.bytes);
      bad[bad.length - 10] = (bad[bad.length - 10] ?? 0) ^ 1;
      fs.writeFileSync(producerCopy, bad);
      port.offer(c.file, producerCopy, c.sha256);
      const kr = generateKeyPairSync('x25519');
      const fileKey = unwrapFileKey(await readHeaderOfFile(c.file), [c.identity]);
      const scratch = path.join(h.dir, 'scratch');
      const release = sealForWorker(x25519Raw(kr.publicKey), 'consume[0]#1', [{ sha256: c.sha256, fileKey }]);
      const msg: SealedAssignMsg = {
        type: 'assign', id: 'consume[0]#1', label: 'consume[0]',
        exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: {} },
        inputs: { text: { class: 'File', path: c.file } }, outputs: [], threads: 1,
        scratchDir: scratch, outDir: path.join(h.dir, 'out'), logBase: path.join(h.dir, 'log'),
        sealed: { files: { [c.file]: { sha256: c.sha256, wrappedKey: release.wrappedKeys[0] as string, source: { slot: 'enclaves-1', ...port.address } } }, keyShare: release.keyShare, recipients: [c.identity.recipient().toString()] },
      };
      const reports: TransferReport[] = [];
      const pull = puller(consumerId, new Set(), (r) => void reports.push(r));
      const prep = await prepareSealed(msg, kr.privateKey, path.join(h.dir, 'code'), pull);
      assert.deepEqual(reports.map((r) => [r.outcome, r.reason, r.from]), [['fallback', 'hash-mismatch', 'enclaves-1']]);
      const text = prep.msg.inputs['text'];
      assert.ok(text && typeof text === 'object' && 'path' in text);
      assert.equal(fs.readFileSync(String(text.path), 'utf8'), secret, 'the master\'s copy was decrypted');
      fs.rmSync(`${scratch}.in`, { recursive: true, force: true });

      // Both copies bad: the attempt fails and nothing was decrypted.
      fs.writeFileSync(c.file, bad);
      reports.length = 0;
      await assert.rejects(prepareSealed(msg, kr.privateKey, path.join(h.dir, 'code'), pull), /refusing to decrypt/);
      assert.deepEqual(reports.map((r) => r.reason), ['hash-mismatch']);
      // The worker wipes its input directory when an input fails (docs/protocol.md §10.7): absent counts as empty.
      const left = fs.existsSync(`${scratch}.in`) ? fs.readdirSync(`${scratch}.in`, { recursive: true }).map(String) : [];
      for (const f of left) {
        const p = path.join(`${scratch}.in`, f);
        if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p, 'utf8').includes('SECRET-INTERMEDIATE'), `no plaintext in ${f}`);
      }
      assert.deepEqual(left.filter((f) => !fs.statSync(path.join(`${scratch}.in`, f)).isDirectory()), [], 'no file at all in the input directory');
    } finally {
      await port.close();
      await h.close();
    }
  });
});

