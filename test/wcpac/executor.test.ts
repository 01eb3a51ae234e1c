/**
 * docs/protocol.md §9: the attested executor. A real provisioner under sim
 * decrypts the esbuild-bundled executor in memory; it connects to the
 * executor port with mutual TLS on its run-CA certificate and runs a step
 * over the execution channel (§1). Clients without a certificate of this
 * run's CA, or with a revoked one, are refused.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ephemeralMaster } from '../../src/crypto/master-key.js';
import { RunCa } from '../../src/crypto/run-ca.js';
import { derToPem } from '../../src/crypto/x509-issue.js';
import { ExecServer } from '../../src/master/broker/exec-server.js';
import { buildExecutorCode } from '../../src/master/broker/executor-bundle.js';
import type { AssignMsg, WorkerToMaster } from '../../src/protocol/execution.js';
import { decrypt } from '../../src/crypto/index.js';
import { until } from '../faults/harness.js';
import { execConnect, forgedWorker } from './exec-port.js';
import { expectSlot, launchWorker, setup, type Harness } from './harness.js';
import { x25519Raw } from '../../src/protocol/wcpac-crypto.js';
import { sealForWorker } from '../helpers/released-keys.js';

function execRefusals(h: Harness): string[] {
  return h.decisions.flatMap((d) => (d.type === 'exec-connection' && d.decision === 'refused' ? [d.reason ?? ''] : []));
}

/** A master's executor port and an attested sim worker (slot local-1) running the real executor bundle, connected to it. */
async function attestedExecutor() {
  const h = await setup({ bundleCode: await buildExecutorCode() });
  const es = await ExecServer.start(h.broker);
  h.broker.execPort = es.address.port;
  expectSlot(h, 'local-1');
  const run = launchWorker(h, 'local-1');
  const channel = await es.channel('local-1');
  return { h, es, run, channel };
}

describe('§9 executor connection', () => {
  test('§9 an attested sim worker starts the decrypted executor, connects with mTLS and runs a step, encrypting its output', async () => {
    const { h, es, run, channel } = await attestedExecutor();
    try {
      const got: WorkerToMaster[] = [];
      const next = () => new Promise<WorkerToMaster>((resolve) => {
        const poll = () => (got.length > 0 ? resolve(got.shift() as WorkerToMaster) : setTimeout(poll, 10));
        poll();
      });
      channel.onMessage((m) => got.push(m));
      assert.equal((await next()).type, 'ready');
      const scratch = path.join(h.dir, 'scratch');
      const outDir = path.join(h.dir, 'out');
      await mkdir(outDir, { recursive: true });
      channel.send({
        type: 'assign', id: 'hello[0]#1', label: 'hello',
        exec: { kind: 'command', argv: ['sh', '-c', 'echo attested > greeting.txt'], shell: false, env: {}, globs: { greeting: 'greeting.txt' } },
        inputs: {}, outputs: [{ id: 'greeting', type: { kind: 'file' }, optional: false }],
        threads: 1, scratchDir: scratch, outDir, logBase: path.join(h.dir, 'hello'),
        sealed: { files: {}, recipients: [h.runIdentity.recipient().toString()] },
      } as AssignMsg);
      const started = await next();
      assert.equal(started.type, 'started', JSON.stringify(started));
      const done = await next();
      assert.equal(done.type, 'succeeded', JSON.stringify(done));
      const out = done.type === 'succeeded' ? (done.outputs['greeting'] as { path: string }) : undefined;
      const sealedOut = await readFile(out?.path ?? '');
      assert.ok(!sealedOut.includes('attested'), 'the output is encrypted');
      const plain: Buffer[] = [];
      for await (const c of decrypt([h.runIdentity], sealedOut)) plain.push(Buffer.from(c as Uint8Array));
      assert.equal(Buffer.concat(plain).toString().trim(), 'attested');
      channel.send({ type: 'shutdown' });
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(h.decisions.some((d) => d.type === 'exec-connection' && d.decision === 'accepted' && d.worker === 'local-1'));
    } finally {
      await es.close();
      await h.close();
    }
  });

  test('§9 an attested executor that loses the master stops its step, wipes its scratch and exits', async () => {
    const { h, es, run, channel } = await attestedExecutor();
    try {
      const pid = await new Promise<number>((resolve) => channel.onMessage((m) => (m.type === 'ready' ? resolve(m.pid) : undefined)));
      const assigned = path.join(h.dir, 'scratch-long');
      const scratch = path.join(h.dir, String(pid), 'scratch-long'); // §10.8: in the worker's own directory under the assigned one's parent
      channel.send({
        type: 'assign', id: 'long[0]#1', label: 'long',
        exec: { kind: 'command', argv: ['sh', '-c', 'echo partial > partial.txt; sleep 60'], shell: false, env: {}, globs: {} },
        inputs: {}, outputs: [], threads: 1, scratchDir: assigned, outDir: path.join(h.dir, 'out-long'), logBase: path.join(h.dir, 'long'),
        sealed: { files: {}, recipients: [h.runIdentity.recipient().toString()] },
      } as AssignMsg);
      const fs = await import('node:fs');
      assert.ok(await until(() => fs.existsSync(path.join(scratch, 'partial.txt'))), 'the step is running');
      const lost = Date.now();
      await es.close(); // the master goes away
      const r = await run;
      assert.ok(Date.now() - lost < 8000, 'exits within a bounded time');
      assert.equal(r.code, 0);
      assert.ok(!fs.existsSync(path.join(h.dir, String(pid))), 'scratch and decrypted inputs (the worker\'s whole directory) are wiped');
    } finally {
      await h.close();
    }
  });

  test('§9 a client without a run certificate, with another run CA\'s certificate, or with a revoked one is refused', async () => {
    const h = await setup();
    const es = await ExecServer.start(h.broker);
    try {
      const { cred } = await forgedWorker(h, 'local-1');

      assert.equal((await execConnect(h, es)).accepted, false, 'no certificate: refused, closed by the master');
      const otherRun = await RunCa.create(ephemeralMaster(), 'run-other', 3_600_000);
      const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const foreign = await otherRun.issueClientCert(spki.publicKey.export({ type: 'spki', format: 'der' }), 'local-1');
      assert.equal((await execConnect(h, es, { cert: derToPem(foreign), key: spki.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string })).accepted, false, 'another run CA\'s certificate: refused');

      h.broker.revoke('local-1', 'declared dead by the test');
      assert.equal((await execConnect(h, es, cred)).accepted, false, 'a revoked certificate: refused');
      // Peers without a valid run certificate are strangers: counted, at most one journal line per interval.
      assert.deepEqual([...h.broker.strangerRefusals.byReason], [['no-client-cert', 1], ['bad-client-cert', 2]]);
      assert.deepEqual(execRefusals(h), []);
      assert.ok(h.decisions.filter((d) => d.type === 'protocol-refusal' && d.channel === 'execution').length <= 1);
      assert.ok(!h.decisions.some((d) => d.type === 'exec-connection' && d.decision === 'accepted'));
    } finally {
      await es.close();
      await h.close();
    }
  });
});

describe('§10 worker-side ciphertext check', () => {
  test('§10 a tampered or substituted input ciphertext is refused by the worker before decryption', async () => {
    const { prepareSealed } = await import('../../src/worker/attested/sealed.js');
    const { encrypt: enc } = await import('../../src/crypto/index.js');
    const { createHash, generateKeyPairSync: gen } = await import('node:crypto');
    const { writeFile } = await import('node:fs/promises');
    const h = await setup();
    try {
      const kr = gen('x25519');
      const parts: Buffer[] = [];
      for await (const c of enc([h.runIdentity.recipient()], Buffer.from('secret intermediate'))) parts.push(Buffer.from(c as Uint8Array));
      const file = path.join(h.dir, 'mid.txt');
      await writeFile(file, Buffer.concat(parts));
      const recorded = createHash('sha256').update(Buffer.concat(parts)).digest('hex');
      const substituted: Buffer[] = [];
      for await (const c of enc([h.runIdentity.recipient()], Buffer.from('attacker data'))) substituted.push(Buffer.from(c as Uint8Array));
      await writeFile(file, Buffer.concat(substituted));
      const released = sealForWorker(x25519Raw(kr.publicKey), 'use[0]#1', [{ sha256: recorded, fileKey: Buffer.alloc(16) }]);
      const msg = {
        type: 'assign', id: 'use[0]#1', label: 'use', exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: {} },
        inputs: { x: { class: 'File', path: file } }, outputs: [], threads: 1,
        scratchDir: path.join(h.dir, 's'), outDir: path.join(h.dir, 'o'), logBase: path.join(h.dir, 'l'),
        sealed: { files: { [file]: { sha256: recorded, wrappedKey: released.wrappedKeys[0] } }, keyShare: released.keyShare, recipients: [h.runIdentity.recipient().toString()] },
      } as const;
      await assert.rejects(prepareSealed(msg as unknown as Parameters<typeof prepareSealed>[0], kr.privateKey), /not the one the master recorded/);
      assert.ok(!(await import('node:fs')).existsSync(path.join(h.dir, 's.in', '0', 'mid.txt')), 'nothing was decrypted');
    } finally {
      await h.close();
    }
  });
});
