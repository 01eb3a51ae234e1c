/**
 * docs/protocol.md §13.2: the run secrets file of an encrypted run — the run
 * identity and the run hash key, one age file encrypted to the broker
 * recipient, signed inside by the master, mode 0600, bound to its run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encrypt } from '../../src/crypto/index.js';
import { ephemeralMaster, masterSign } from '../../src/crypto/master-key.js';
import { checkEncryptedResume, generateRunSecrets, readRunSecrets, RUN_SECRETS_FILE, runSecretsIds, writeRunSecrets } from '../../src/master/run-secrets.js';
import { ContentHasher } from '../../src/engine/hash.js';
import { InputError, OperationError } from '../../src/errors.js';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-secrets-'));

async function collect(r: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

describe('§13.2 run secrets', () => {
  test('§13.2 fresh run secrets are a run identity and a 32-byte hash key, different for every run', () => {
    const a = generateRunSecrets('r1');
    const b = generateRunSecrets('r1');
    assert.equal(a.hashKey.length, 32);
    assert.notDeepEqual(a.hashKey, b.hashKey);
    assert.notEqual(a.runIdentity.toString(), b.runIdentity.toString());
  });

  test('§13.2 the file is an age file, mode 0600, readable only with the broker identity, and gives back the same secrets', async () => {
    const master = ephemeralMaster();
    const s = generateRunSecrets('20261122-131905-3fa9c1');
    const file = path.join(dir(), RUN_SECRETS_FILE);
    await writeRunSecrets(file, s, master);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const bytes = fs.readFileSync(file);
    assert.ok(bytes.subarray(0, 22).equals(Buffer.from('age-encryption.org/v1\n')));
    assert.ok(!bytes.includes(s.hashKey) && !bytes.includes(Buffer.from(s.hashKey.toString('base64'))) && !bytes.includes(Buffer.from(s.runIdentity.toString())), 'no key bytes in the clear');
    const back = await readRunSecrets(file, master, s.runId);
    assert.deepEqual(back.hashKey, s.hashKey);
    assert.equal(back.runIdentity.toString(), s.runIdentity.toString());
    assert.deepEqual(runSecretsIds(back), runSecretsIds(s));
  });

  test('§13.2 an existing run secrets file is never replaced', async () => {
    const master = ephemeralMaster();
    const file = path.join(dir(), RUN_SECRETS_FILE);
    await writeRunSecrets(file, generateRunSecrets('r'), master);
    const before = fs.readFileSync(file);
    await assert.rejects(writeRunSecrets(file, generateRunSecrets('r'), master), /EEXIST/);
    assert.deepEqual(fs.readFileSync(file), before);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [RUN_SECRETS_FILE], 'no temporary file left behind');
  });

  test('§13.2 the secrets of another run, of another master, or not signed by this master are refused with a clear message', async () => {
    const master = ephemeralMaster();
    const d = dir();
    const file = path.join(d, RUN_SECRETS_FILE);
    await writeRunSecrets(file, generateRunSecrets('run-a'), master);
    await assert.rejects(readRunSecrets(file, master, 'run-b'), (e: unknown) => e instanceof OperationError && /belongs to run run-a/.test(e.message) && /cannot be resumed encrypted/.test(e.message));
    await assert.rejects(readRunSecrets(file, ephemeralMaster(), 'run-a'), (e: unknown) => e instanceof OperationError && /cannot decrypt it with this master's broker identity/.test(e.message));

    // Anyone can encrypt to the broker recipient (it is public): a planted file with keys an attacker knows is refused.
    const other = ephemeralMaster();
    const planted = path.join(d, 'planted.age');
    await writeRunSecrets(planted, generateRunSecrets('run-a'), { ...other, brokerIdentity: master.brokerIdentity });
    await assert.rejects(readRunSecrets(planted, master, 'run-a'), (e: unknown) => e instanceof OperationError && /signature is not this master's/.test(e.message));
    const junk = path.join(d, 'junk.age');
    const env = Buffer.from(JSON.stringify({ payload: Buffer.from('{}').toString('base64'), signature: masterSign(master.signingKey, Buffer.from('x')).toString('base64') }));
    fs.writeFileSync(junk, await collect(encrypt([master.brokerIdentity.recipient()], env)));
    await assert.rejects(readRunSecrets(junk, master, 'run-a'), /signature is not this master's/);
  });

  test('§13.2 resume hashes under the run hash key are keyed: not the plain SHA-256, equal under the same key, different under another', () => {
    const d = dir();
    const f = path.join(d, 'in.txt');
    fs.writeFileSync(f, 'guessable content\n');
    const x = { code: 'cmd', inputs: { a: { class: 'File' as const, path: f } } };
    const key = generateRunSecrets('r').hashKey;
    const plain = new ContentHasher().instance(x);
    const keyed = new ContentHasher(key).instance(x);
    assert.notEqual(keyed, plain);
    assert.equal(new ContentHasher(Buffer.from(key)).instance(x), keyed);
    assert.notEqual(new ContentHasher(generateRunSecrets('r').hashKey).instance(x), keyed);
    assert.notEqual(new ContentHasher(key).file(f), new ContentHasher().file(f));
    // A revealed sealed value (docs/protocol.md §10.2) is hashed as plaintext inside the instance hash: keyed too.
    const v = { code: 'cmd', inputs: { go: true, secret: 'a guessable word' } };
    assert.notEqual(new ContentHasher(key).instance(v), new ContentHasher().instance(v));
  });

  test('§13.2 an encrypted run cannot be resumed with --no-encrypt; a plain run can', async () => {
    const root = dir();
    assert.doesNotThrow(() => checkEncryptedResume(root, false), 'a plain run keeps what it is given');
    await writeRunSecrets(path.join(root, RUN_SECRETS_FILE), generateRunSecrets(path.basename(root)), ephemeralMaster());
    assert.doesNotThrow(() => checkEncryptedResume(root, true));
    assert.throws(() => checkEncryptedResume(root, false), (e: unknown) => e instanceof InputError && /is encrypted/.test(e.message) && /leave out --no-encrypt/.test(e.message));
  });
});
