/**
 * docs/protocol.md §16.3: which identity unwraps a file is decided by where
 * the master says it came from, never by the file. An owner input is
 * unwrapped with the broker identity only, an intermediate with the run
 * identity only; a file whose origin the master never recorded gets no key.
 * (Before, every release tried the run identity and then the broker
 * identity, so a worker's "output" encrypted to the broker recipient — e.g.
 * the run secrets file — was unwrapped and released.)
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Recipient } from '../../src/crypto/types.js';
import { assignStep, recordCiphertext, releaseFileKeys, type Release } from '../../src/master/broker/release.js';
import { BrokerRefusal, type AttestedWorker } from '../../src/master/broker/types.js';
import { ageBytes, sha256 } from './forger.js';
import { connectRaw, expectSlot, forgeAttest, setup, type Harness } from './harness.js';

async function attested(h: Harness, slot: string): Promise<AttestedWorker> {
  expectSlot(h, slot);
  const c = await connectRaw(h);
  c.send(forgeAttest(h, c, slot).msg);
  await c.closed();
  return h.broker.workers.get(slot) as AttestedWorker;
}

async function file(h: Harness, name: string, to: Recipient): Promise<{ path: string; sha256: string }> {
  const p = path.join(h.dir, name);
  const bytes = await ageBytes(to, `content of ${name}`);
  await writeFile(p, bytes);
  return { path: p, sha256: sha256(bytes) };
}

async function release(h: Harness, w: AttestedWorker, step: string, id: string): Promise<Release> {
  assignStep(h.broker, w.slot, step);
  return releaseFileKeys(h.broker, w.slot, { step, tee: 'none', inputs: [{ id, path: id }], epoch: w.epoch });
}

const refusedAs = (reason: string) => (e: unknown) => e instanceof BrokerRefusal && e.reason === reason;

describe('§16.3 one identity per origin', () => {
  test('an intermediate encrypted to the broker recipient gets no key: intermediates are unwrapped with the run identity only', async () => {
    const h = await setup();
    try {
      const w = await attested(h, 'local-1');
      const f = await file(h, 'run-secrets.age', h.master.brokerIdentity.recipient());
      recordCiphertext(h.broker, 'output', f.path, f.sha256);
      await assert.rejects(release(h, w, 'c[0]#1', f.path), refusedAs('wrong-recipient'));
      assert.equal(h.decisions.filter((d) => d.type === 'key-release' && d.decision === 'released').length, 0);
    } finally {
      await h.close();
    }
  });

  test('an owner input encrypted to the run recipient gets no key: inputs are unwrapped with the broker identity only', async () => {
    const h = await setup();
    try {
      const w = await attested(h, 'local-1');
      const f = await file(h, 'in.age', h.runIdentity.recipient());
      recordCiphertext(h.broker, 'input', f.path, f.sha256);
      await assert.rejects(release(h, w, 'c[0]#1', f.path), refusedAs('wrong-recipient'));
    } finally {
      await h.close();
    }
  });

  test('each origin still gets its key from its own identity', async () => {
    const h = await setup();
    try {
      const w = await attested(h, 'local-1');
      const input = await file(h, 'in.age', h.master.brokerIdentity.recipient());
      const mid = await file(h, 'mid.age', h.runIdentity.recipient());
      recordCiphertext(h.broker, 'input', input.path, input.sha256);
      recordCiphertext(h.broker, 'output', mid.path, mid.sha256);
      assert.equal((await release(h, w, 'a[0]#1', input.path)).keys.length, 1);
      assert.equal((await release(h, w, 'b[0]#1', mid.path)).keys.length, 1);
    } finally {
      await h.close();
    }
  });

  test('a file with a hash but no recorded origin gets no key', async () => {
    const h = await setup();
    try {
      const w = await attested(h, 'local-1');
      const f = await file(h, 'x.age', h.runIdentity.recipient());
      h.broker.hashes.set(f.path, f.sha256); // a hash from somewhere other than recordCiphertext
      await assert.rejects(release(h, w, 'c[0]#1', f.path), refusedAs('hash-unrecorded'));
    } finally {
      await h.close();
    }
  });
});
