/**
 * docs/protocol.md §16 (issue 11 §3): a compromised attested worker lies
 * about its outputs on the real execution channel. Every forgery is refused
 * before anything is recorded, with its reason journalled; the forger is
 * revoked and disconnected; the files it named keep their records; and no
 * key of any file but its own step's input ever reaches a worker.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { link, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findHeaderEnd } from '../../src/crypto/format.js';
import { assignStep, releaseFileKeys } from '../../src/master/broker/release.js';
import { BrokerRefusal } from '../../src/master/broker/types.js';
import { MAX_OUTPUT_FILES } from '../../src/master/output-rules.js';
import type { PortValue } from '../../src/workflow/model.js';
import { ageBytes, armored, bench, forger, sha256, type Bench, type Forger } from './forger.js';

const file = (p: string, sha: string): PortValue => ({ class: 'File', path: p, sha256: sha }) as PortValue;

let b: Bench;
let n = 0;
before(async () => {
  b = await bench();
});
after(async () => {
  await b.close();
});

/** What every refused forgery must leave: a failed attempt, the reason journalled, the forger revoked and cut off, no new key released. */
async function assertRefused(f: Forger, outputs: Readonly<Record<string, PortValue>>, reason: string): Promise<void> {
  return assertRefusedAs(f, f.id, outputs, reason);
}

async function assertRefusedAs(f: Forger, id: string, outputs: Readonly<Record<string, PortValue>>, reason: string): Promise<void> {
  const recorded = new Map(b.h.broker.hashes);
  const result = await f.report(outputs, id);
  assert.equal(result.type, 'failed', JSON.stringify(result).slice(0, 300));
  assert.match(result.type === 'failed' ? result.message : '', new RegExp(`forged report \\(${reason}\\).*the worker is revoked`));
  const refusal = b.h.decisions.find((d) => d.type === 'report-refused' && d.worker === f.slot);
  assert.deepEqual(refusal && refusal.type === 'report-refused' ? [refusal.step, refusal.reason, refusal.forged] : null, [id, reason, true]);
  assert.ok(b.h.decisions.some((d) => d.type === 'worker-revoked' && d.worker === f.slot), 'the forger is revoked');
  assert.equal(b.h.broker.workers.get(f.slot)?.alive, false);
  await f.closed; // the master closed its execution channel
  assert.deepEqual(new Map(b.h.broker.hashes), recorded, 'nothing was recorded, nothing overwritten');
  // The only key ever released to this worker is its own step's input.
  const released = b.h.decisions.flatMap((d) => (d.type === 'key-release' && d.decision === 'released' && d.worker === f.slot ? d.files?.map((x) => x.id) ?? [] : []));
  assert.deepEqual(released, [b.ownerInput.path]);
  // A revoked forger gets nothing more, whatever it asks for.
  assignStep(b.h.broker, f.slot, 'next[0]#1');
  await assert.rejects(releaseFileKeys(b.h.broker, f.slot, { step: 'next[0]#1', tee: 'none', inputs: [{ id: b.otherOutput.path, path: b.otherOutput.path }], epoch: 1 }), BrokerRefusal);
}

/** Whether a consumer could be released a key for `id` (it can only if the master recorded it). */
async function consumerRefused(id: string): Promise<void> {
  const honest = await forger(b, ++n); // an attested worker whose step reads `id`
  assignStep(b.h.broker, honest.slot, 'consumer[0]#1');
  const epoch = b.h.broker.workers.get(honest.slot)?.epoch ?? 0;
  await assert.rejects(releaseFileKeys(b.h.broker, honest.slot, { step: 'consumer[0]#1', tee: 'none', inputs: [{ id, path: id }], epoch }), (e: unknown) => e instanceof BrokerRefusal && e.reason === 'hash-unrecorded');
}

describe('§16 a forged worker cannot make the master read, record or release what is not its own', () => {
  test('an honest output inside the attempt\'s output directory, encrypted to the run recipient, is recorded and its worker stays', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    const bytes = await ageBytes(b.h.runIdentity.recipient(), 'an honest result');
    await writeFile(out, bytes);
    const result = await f.report({ out: file(out, sha256(bytes)) });
    assert.equal(result.type, 'succeeded', JSON.stringify(result));
    assert.equal(b.h.broker.hashes.get(out), sha256(bytes));
    assert.equal(b.h.broker.workers.get(f.slot)?.alive, true);
  });

  test('reporting the run secrets file is refused as outside the output directory, and no consumer gets its key', async () => {
    const f = await forger(b, ++n);
    await assertRefused(f, { out: file(b.runSecrets, sha256(Buffer.from('x'))) }, 'output-outside');
    await consumerRefused(b.runSecrets);
  });

  test('reporting an owner input as an output is refused', async () => {
    const f = await forger(b, ++n);
    await assertRefused(f, { out: file(b.ownerInput.path, b.ownerInput.sha256) }, 'output-is-input');
  });

  test('reporting another step\'s output path is refused and leaves that step\'s recorded hash as it was', async () => {
    const f = await forger(b, ++n);
    const junk = await ageBytes(b.h.runIdentity.recipient(), 'a substitute');
    await assertRefused(f, { out: file(b.otherOutput.path, sha256(junk)) }, 'output-outside');
    assert.equal(b.h.broker.hashes.get(b.otherOutput.path), b.otherOutput.sha256);
  });

  test('reporting /dev/zero is refused without the master reading it', async () => {
    const f = await forger(b, ++n);
    await assertRefused(f, { out: file('/dev/zero', 'a'.repeat(64)) }, 'output-outside');
  });

  test('a FIFO inside the output directory is refused without the master blocking on it', async () => {
    const f = await forger(b, ++n);
    const fifo = path.join(f.outDir, 'out.age');
    execFileSync('mkfifo', [fifo]);
    await assertRefused(f, { out: file(fifo, 'a'.repeat(64)) }, 'output-not-regular');
  });

  test('a symbolic link inside the output directory pointing at another step\'s output is refused', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    await symlink(b.otherOutput.path, out);
    await assertRefused(f, { out: file(out, b.otherOutput.sha256) }, 'output-symlink');
  });

  test('a symbolic link to a directory on the way to the output is refused', async () => {
    const f = await forger(b, ++n);
    await symlink(path.dirname(b.otherOutput.path), path.join(f.outDir, 'sub'));
    await assertRefused(f, { out: file(path.join(f.outDir, 'sub', path.basename(b.otherOutput.path)), b.otherOutput.sha256) }, 'output-symlink');
  });

  test('a hard link to another step\'s output inside the output directory is refused', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    await link(b.otherOutput.path, out);
    await assertRefused(f, { out: file(out, b.otherOutput.sha256) }, 'output-hard-link');
  });

  test('a path that climbs out with ".." is refused before any file is looked at', async () => {
    const f = await forger(b, ++n);
    const climb = `${f.outDir}/../../other/0/${path.basename(b.otherOutput.path)}`;
    await assertRefused(f, { out: file(climb, b.otherOutput.sha256) }, 'output-path');
  });

  test('an output made of another file\'s header and junk (a copied file key) is refused', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    const forged = Buffer.concat([b.otherOutput.bytes.subarray(0, findHeaderEnd(b.otherOutput.bytes)), Buffer.alloc(4096, 0x41)]);
    await writeFile(out, forged);
    await assertRefused(f, { out: file(out, sha256(forged)) }, 'output-copied-file-key');
    await consumerRefused(out);
  });

  test('an output encrypted to the broker recipient instead of the run recipient is refused', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    const bytes = await ageBytes(b.h.master.brokerIdentity.recipient(), 'to the broker');
    await writeFile(out, bytes);
    await assertRefused(f, { out: file(out, sha256(bytes)) }, 'output-wrong-recipient');
  });

  test('an output carrying the owner input\'s header (broker recipient) is refused: the run identity never unwraps it', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    await writeFile(out, b.ownerInput.bytes);
    await assertRefused(f, { out: file(out, b.ownerInput.sha256) }, 'output-wrong-recipient');
  });

  test('a sealed value made of another file\'s ciphertext (a copied file key) is refused', async () => {
    const f = await forger(b, ++n);
    await assertRefused(f, { out: { class: 'Sealed', age: armored(b.otherOutput.bytes) } as unknown as PortValue }, 'output-copied-file-key');
  });

  test('two outputs of one message sharing a file key are refused', async () => {
    const f = await forger(b, ++n);
    const bytes = await ageBytes(b.h.runIdentity.recipient(), 'once');
    const one = path.join(f.outDir, 'one.age');
    const two = path.join(f.outDir, 'two.age');
    await writeFile(one, bytes);
    await writeFile(two, bytes);
    await assertRefused(f, { out: [file(one, sha256(bytes)), file(two, sha256(bytes))] as unknown as PortValue }, 'output-copied-file-key');
  });

  test('one path reported twice with two different hashes is refused', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    const bytes = await ageBytes(b.h.runIdentity.recipient(), 'twice');
    await writeFile(out, bytes);
    await assertRefused(f, { out: [file(out, sha256(bytes)), file(out, 'b'.repeat(64))] as unknown as PortValue }, 'output-conflicting-hash');
  });

  test('an output without a reported hash is refused rather than hashed in full', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    await writeFile(out, await ageBytes(b.h.runIdentity.recipient(), 'no hash'));
    await assertRefused(f, { out: { class: 'File', path: out } as PortValue }, 'output-no-hash');
  });

  test('an output on a port the step does not have is refused', async () => {
    const f = await forger(b, ++n);
    const out = path.join(f.outDir, 'out.age');
    const bytes = await ageBytes(b.h.runIdentity.recipient(), 'extra');
    await writeFile(out, bytes);
    await assertRefused(f, { out: file(out, sha256(bytes)), smuggled: file(out, sha256(bytes)) }, 'output-undeclared-port');
  });

  test(`more than ${MAX_OUTPUT_FILES} outputs in one message are refused before any is opened`, async () => {
    const f = await forger(b, ++n);
    const many = Array.from({ length: MAX_OUTPUT_FILES + 1 }, (_, i) => file(path.join(f.outDir, `${i}.age`), 'c'.repeat(64)));
    await assertRefused(f, { out: many as unknown as PortValue }, 'output-too-many');
  });

  test('outputs nested deeper than the limit are refused before they are walked', async () => {
    const f = await forger(b, ++n);
    let deep: unknown = file(path.join(f.outDir, 'out.age'), 'd'.repeat(64));
    for (let i = 0; i < 1_000; i++) deep = [deep];
    // The execution channel's message schema refuses it first ("Framing and limits"): the connection closes,
    // the refusal is journalled with the worker's slot, and nothing reaches the output rules or the engine.
    const recorded = new Map(b.h.broker.hashes);
    f.send({ type: 'succeeded', id: f.id, outputs: { out: deep as PortValue }, exitStatus: 0, durationMs: 1 });
    await f.closed;
    const refusal = b.h.decisions.find((d) => d.type === 'protocol-refusal' && d.worker === f.slot);
    assert.equal(refusal?.type === 'protocol-refusal' ? refusal.reason : null, 'invalid-message');
    assert.ok(!f.seen.some((m) => m.type === 'succeeded' && m.id === f.id), 'the engine never sees it');
    assert.deepEqual(new Map(b.h.broker.hashes), recorded, 'nothing was recorded');
  });

  test('a result for an attempt never assigned over this channel records nothing', async () => {
    const f = await forger(b, ++n);
    const recorded = new Map(b.h.broker.hashes);
    assignStep(b.h.broker, f.slot, 'elsewhere[0]#1'); // assigned to it in the broker, but not sent over this channel
    const out = path.join(f.outDir, 'out.age');
    const bytes = await ageBytes(b.h.runIdentity.recipient(), 'not asked for');
    await writeFile(out, bytes);
    await assertRefusedAs(f, 'elsewhere[0]#1', { out: file(out, sha256(bytes)) }, 'output-unassigned');
    assert.deepEqual(new Map(b.h.broker.hashes), recorded);
  });

  test('after every forgery, the only keys ever released went to the steps that read them', () => {
    for (const d of b.h.decisions) {
      if (d.type !== 'key-release' || d.decision !== 'released') continue;
      assert.deepEqual(d.files?.map((x) => x.id), [b.ownerInput.path], `${d.worker} ${d.step}`);
    }
  });
});
