/**
 * docs/protocol.md §16.3 and §13.2: a resumed master restores the set of
 * file keys the run has seen from the key digests journalled with each
 * success (under the record's MAC), without unwrapping any restored key; a
 * new output still cannot carry a restored key, a restored key is checked
 * against its journalled digest when it is first released, and a journal
 * whose digests were tampered with, or that was cut mid-record, reuses
 * nothing it cannot vouch for.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readFileHeader } from '../../src/crypto/filekey.js';
import { bufferSource } from '../../src/crypto/io.js';
import { unwrapFileKey } from '../../src/crypto/unwrap.js';
import { ContentHasher } from '../../src/engine/hash.js';
import { parseJournal } from '../../src/engine/journal.js';
import { priorSuccesses } from '../../src/engine/run.js';
import { useDigestKey, vetOutputKey } from '../../src/master/broker/file-keys.js';
import { assignStep, releaseFileKeys } from '../../src/master/broker/release.js';
import { BrokerRefusal } from '../../src/master/broker/types.js';
import { restorePrior, type PriorSuccess } from '../../src/master/resume.js';
import type { PortValue } from '../../src/workflow/model.js';
import { ageBytes, armored, sha256 } from './forger.js';
import { forgedWorker } from './exec-port.js';
import { setup, type Harness } from './harness.js';

interface Earlier {
  readonly path: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  /** The digest computed here, independently of the broker: HMAC-SHA-256(HKDF-SHA-256(hash key, info), file key). */
  readonly digest: string;
}

let h: Harness;
const hashKey = randomBytes(32);
const hasher = new ContentHasher(hashKey);
const macOf = (i: string, hash: string, o: unknown, k?: unknown) => hasher.outputsMac(i, hash, o, k);
let unwraps = 0;
let n = 0;

function digestOf(key: Uint8Array): string {
  const dk = Buffer.from(hkdfSync('sha256', hashKey, Buffer.alloc(0), 'sealflow file-key digests v1', 32));
  return createHmac('sha256', dk).update(key).digest('hex');
}

/** An output an earlier master of the run recorded: its file in the run directory, its key digest. */
async function earlier(what: string): Promise<Earlier> {
  const bytes = await ageBytes(h.runIdentity.recipient(), `earlier step: ${what}`);
  const file = path.join(h.dir, 'steps', 'earlier', String(++n), 'out.age');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  const { header } = await readFileHeader(bufferSource(bytes));
  const key = unwrapFileKey(header, [h.runIdentity]);
  return { path: file, bytes, sha256: sha256(bytes), digest: digestOf(key) };
}

/** The step-succeeded record an earlier master journalled for `e`, MAC'd under the hash key. */
function recordOf(instance: string, e: Earlier, digests: Record<string, string> = { [e.path]: e.digest }): PriorSuccess {
  const outputs = { out: { class: 'File', path: e.path, sha256: e.sha256 } as unknown as PortValue };
  return { hash: 'h1', outputs, keyDigests: digests, outputsMac: macOf(instance, 'h1', outputs, digests)! };
}

before(async () => {
  h = await setup();
  useDigestKey(h.broker, hashKey); // as the session does, before any key is seen
  const run = h.runIdentity;
  const unwrap = run.unwrapFileKey.bind(run);
  run.unwrapFileKey = (stanzas) => {
    unwraps++;
    return unwrap(stanzas);
  };
});
after(async () => {
  await h.close();
});

describe('§16.3 key digests: a resume restores the seen keys without unwrapping them', () => {
  test('a journalled success with its key digests is reused, and nothing is unwrapped to restore it', async () => {
    const e = await earlier('reused');
    const before = unwraps;
    const r = await restorePrior(h.broker, new Map([['earlier[0]', recordOf('earlier[0]', e)]]), macOf);
    assert.deepEqual([[...r.prior.keys()], r.damaged, r.restored], [['earlier[0]'], [], 1]);
    assert.equal(unwraps - before, 0, 'no X25519 unwrap at resume');
    assert.equal(h.broker.hashes.get(e.path), e.sha256);
  });

  test('after a resume, a new output carrying a restored output\'s key (a copied header) is refused', async () => {
    const e = await earlier('copied after resume');
    await restorePrior(h.broker, new Map([['earlier[0]', recordOf('earlier[0]', e)]]), macOf);
    const { header } = await readFileHeader(bufferSource(e.bytes));
    assert.throws(() => vetOutputKey(h.broker, 'output new.age', header, h.broker.opts.identities), (x: unknown) => x instanceof BrokerRefusal && x.reason === 'copied-file-key' && x.message.includes(e.path));
  });

  test('after a resume, a new output carrying the key of a restored sealed value is refused', async () => {
    const e = await earlier('a file beside the sealed value');
    const sealed = await ageBytes(h.runIdentity.recipient(), '"a secret string"');
    const sealedKey = unwrapFileKey((await readFileHeader(bufferSource(sealed))).header, [h.runIdentity]);
    const outputs = { out: { class: 'File', path: e.path, sha256: e.sha256 }, v: { class: 'Sealed', age: armored(sealed) } } as unknown as Record<string, PortValue>;
    const digests = { [e.path]: e.digest, 'sealed value 1': digestOf(sealedKey) };
    const r = await restorePrior(h.broker, new Map([['earlier[1]', { hash: 'h1', outputs, keyDigests: digests, outputsMac: macOf('earlier[1]', 'h1', outputs, digests)! }]]), macOf);
    assert.equal(r.prior.size, 1);
    const { header } = await readFileHeader(bufferSource(sealed));
    assert.throws(() => vetOutputKey(h.broker, 'output copy.age', header, h.broker.opts.identities), (x: unknown) => x instanceof BrokerRefusal && x.reason === 'copied-file-key');
  });

  test('a restored output is released once, unwrapped then by the run identity, with the journalled digest', async () => {
    const e = await earlier('released after resume');
    await restorePrior(h.broker, new Map([['earlier[0]', recordOf('earlier[0]', e)]]), macOf);
    const slot = `local-${100 + ++n}`;
    await forgedWorker(h, slot);
    assignStep(h.broker, slot, 'consumer[0]#1');
    const before = unwraps;
    const { keys } = await releaseFileKeys(h.broker, slot, { step: 'consumer[0]#1', tee: 'none', inputs: [{ id: e.path, path: e.path }], epoch: h.broker.workers.get(slot)!.epoch });
    assert.deepEqual(keys.map((k) => [k.id, k.sha256]), [[e.path, e.sha256]]);
    assert.equal(unwraps - before, 1);
  });

  test('a restored output whose key is not the journalled digest\'s is refused at release, and no key is released', async () => {
    const e = await earlier('digest of another key');
    const wrong = await earlier('the key the journal names');
    // A record MAC'd under the hash key that names another key's digest for this file.
    await restorePrior(h.broker, new Map([['earlier[0]', recordOf('earlier[0]', e, { [e.path]: wrong.digest })]]), macOf);
    const slot = `local-${100 + ++n}`;
    await forgedWorker(h, slot);
    assignStep(h.broker, slot, 'consumer[0]#1');
    await assert.rejects(
      releaseFileKeys(h.broker, slot, { step: 'consumer[0]#1', tee: 'none', inputs: [{ id: e.path, path: e.path }], epoch: h.broker.workers.get(slot)!.epoch }),
      (x: unknown) => x instanceof BrokerRefusal && x.reason === 'bad-header' && /not the one the journal recorded/.test(x.message),
    );
    assert.ok(!h.decisions.some((d) => d.type === 'key-release' && d.decision === 'released' && d.worker === slot));
  });
});

describe('§13.2 hostile journals: tampered digests, old records, a cut record', () => {
  test('a digest replaced in the journal is not accepted: the record fails its MAC and its step runs again', async () => {
    const e = await earlier('tampered digest');
    const other = await earlier('another');
    const p = recordOf('earlier[0]', e);
    const r = await restorePrior(h.broker, new Map([['earlier[0]', { ...p, keyDigests: { [e.path]: other.digest } }]]), macOf);
    assert.deepEqual([r.prior.size, r.damaged], [0, ['earlier[0]']]);
    assert.equal(h.broker.hashes.get(e.path), undefined, 'nothing of the record is restored');
  });

  test('digests removed from the journal are not accepted: the record fails its MAC and its step runs again', async () => {
    const e = await earlier('digests removed');
    const { keyDigests: _gone, ...p } = recordOf('earlier[0]', e);
    const r = await restorePrior(h.broker, new Map([['earlier[0]', p]]), macOf);
    assert.deepEqual([r.prior.size, r.damaged], [0, ['earlier[0]']]);
  });

  test('a record journalled before key digests is still reused, its key unwrapped at resume, and a copy of it is refused', async () => {
    const e = await earlier('old journal');
    const outputs = { out: { class: 'File', path: e.path, sha256: e.sha256 } as unknown as PortValue };
    const before = unwraps;
    const r = await restorePrior(h.broker, new Map([['old[0]', { hash: 'h1', outputs, outputsMac: macOf('old[0]', 'h1', outputs)! }]]), macOf);
    assert.deepEqual([r.prior.size, unwraps - before], [1, 1]);
    const { header } = await readFileHeader(bufferSource(e.bytes));
    assert.throws(() => vetOutputKey(h.broker, 'output new.age', header, h.broker.opts.identities), (x: unknown) => x instanceof BrokerRefusal && x.reason === 'copied-file-key');
  });

  test('a journal cut in the middle of a success record reuses the whole records before the cut only', async () => {
    const a = await earlier('whole record');
    const b = await earlier('cut record');
    const line = (instance: string, e: Earlier) => {
      const p = recordOf(instance, e);
      return JSON.stringify({ type: 'step-succeeded', t: 1, step: instance.slice(0, -3), index: 0, attempt: 1, ...p, exitStatus: 0, durationMs: 1 });
    };
    const whole = `${line('a[0]', a)}\n`;
    const cut = line('b[0]', b);
    for (const at of [10, cut.indexOf('keyDigests') + 20, cut.length]) {
      const j = parseJournal(Buffer.from(whole + cut.slice(0, at)));
      assert.equal(j.tornTail, true);
      const r = await restorePrior(h.broker, priorSuccesses(j.events), macOf);
      assert.deepEqual([...r.prior.keys()], ['a[0]'], `cut at byte ${at}`);
    }
  });
});
