/**
 * Data manifests (docs/connectors/data-in-place.md): the owner's signing
 * key, the strict parser and its signature, `sealflow manifest add` on a real
 * age file, and the start-time checks of inputs against a deployment's data.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/errors.js';
import { parseSigner, readSigningKey, writeSigningKey } from '../../src/crypto/sign-key.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { unwrapFileKey } from '../../src/crypto/filekey.js';
import { manifestEntry } from '../../src/master/data/add.js';
import { inPlaceHeader } from '../../src/master/data/admit.js';
import { MANIFEST_FORMAT, ManifestError, manifestText, parseManifest, signManifest, verifyManifest, type Manifest } from '../../src/master/data/manifest.js';
import { resolveDataInputs } from '../../src/engine/data-inputs.js';
import { loadWorkflow } from '../../src/workflow/index.js';
import { inPlaceValue } from '../../src/workflow/in-place.js';
import { REPO, runCli } from '../helpers/cli.js';
import { rejectsWith } from '../helpers/workflow.js';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { SAMPLE_HEADER } from '../fuzz/targets/data-manifest.js';

const made: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-manifest-'));
  made.push(d);
  return d;
};
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const entry = (p: string) => ({ path: p, sha256: 'c'.repeat(64), size: 4096, header: SAMPLE_HEADER });
const unsigned = (...paths: string[]): Manifest => ({ format: MANIFEST_FORMAT, entries: paths.map(entry) });
const bytes = (m: unknown) => Buffer.from(JSON.stringify(m));

async function keys(dir: string) {
  const file = path.join(dir, 'owner-sign.pem');
  const signer = await writeSigningKey(file);
  return { file, signer, key: await readSigningKey(file) };
}

test('the owner signing key is a new 0600 PKCS#8 file, never overwritten, and its public key is one ed25519: line', async () => {
  const dir = tmp();
  const k = await keys(dir);
  assert.equal(fs.statSync(k.file).mode & 0o777, 0o600);
  assert.match(fs.readFileSync(k.file, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  assert.match(k.signer, /^ed25519:[A-Za-z0-9_-]{43}$/);
  parseSigner(k.signer, 'here');
  await assert.rejects(writeSigningKey(k.file), /already exists; a signing key is never overwritten/);
  assert.throws(() => parseSigner('ed25519:short', 'sealflow.yaml:3'), /sealflow\.yaml:3: "ed25519:short" is not a signer's public key/);
  fs.rmSync(dir, { recursive: true });
});

test('a signed manifest verifies for its signer and round-trips through its text', async () => {
  const dir = tmp();
  const k = await keys(dir);
  const m = signManifest(unsigned('/lab/a.age', '/lab/b.age'), k.key);
  const back = parseManifest(Buffer.from(manifestText(m)), 'lab.json');
  verifyManifest(back, k.signer, 'lab.json');
  assert.deepEqual(back, m);
  fs.rmSync(dir, { recursive: true });
});

test('refuses an unsigned manifest, another signer, an entry changed after signing and a forged signature', async () => {
  const dir = tmp();
  const owner = await keys(dir);
  const other = await keys(tmp());
  const m = signManifest(unsigned('/lab/a.age'), owner.key);
  assert.throws(() => verifyManifest(unsigned('/lab/a.age'), owner.signer, 'lab.json'), /lab\.json: the manifest is not signed/);
  assert.throws(() => verifyManifest(signManifest(unsigned('/lab/a.age'), other.key), owner.signer, 'lab.json'), /signed by ed25519:\S+, not by ed25519:\S+, the signer the run configuration trusts/);
  const changed = { ...m, entries: [{ ...m.entries[0]!, sha256: 'd'.repeat(64) }] };
  assert.throws(() => verifyManifest(parseManifest(bytes(changed), 'lab.json'), owner.signer, 'lab.json'), /the signature does not verify/);
  // Another key's signature presented under the owner's name.
  const forged = { ...m, signature: { signer: owner.signer, value: signManifest(m, other.key).signature!.value } };
  assert.throws(() => verifyManifest(parseManifest(bytes(forged), 'lab.json'), owner.signer, 'lab.json'), /the signature does not verify/);
});

test('refuses duplicate paths, relative or unnormalised paths, bad hashes, unknown keys, huge and deeply nested files, naming the file and entry', () => {
  const ok = unsigned('/lab/a.age');
  const bad = (m: unknown, re: RegExp) => assert.throws(() => parseManifest(typeof m === 'string' ? Buffer.from(m) : bytes(m), 'lab.json'), (e: unknown) => e instanceof ManifestError && e instanceof InputError && re.test(e.message));
  bad(unsigned('/lab/a.age', '/lab/a.age'), /lab\.json: entries\[1\] repeats path \/lab\/a\.age \(also entries\[0\]\)/);
  bad(unsigned('lab/a.age'), /lab\.json: entries\[0\]: path must be an absolute, normalised file path/);
  bad(unsigned('/lab/../etc/a.age'), /entries\[0\]: path must be an absolute, normalised/);
  bad({ ...ok, entries: [{ ...entry('/a'), sha256: 'XYZ' }] }, /entries\[0\] \(\/a\): sha256 must be 64 lower-case hex digits/);
  bad({ ...ok, entries: [{ ...entry('/a'), size: -1 }] }, /size must be a whole number/);
  bad({ ...ok, entries: [{ ...entry('/a'), header: Buffer.from('not age').toString('base64') }] }, /header is not a binary age header/);
  bad({ ...ok, extra: 1 }, /lab\.json: unknown key "extra"/);
  bad({ ...ok, format: 'other' }, /format must be "sealflow-data-manifest\/1"/);
  bad(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, /nested deeper than a data manifest is/);
  bad(' '.repeat((4 << 20) + 1), /a data manifest is at most 4194304 bytes/);
  bad('{"format": ', /lab\.json: not JSON/);
});

test('manifest add lists a real age file with its SHA-256, size and its own header bytes, which parse and unwrap', async () => {
  const dir = tmp();
  const broker = X25519Identity.generate();
  const plain = path.join(dir, 'reads.txt');
  fs.writeFileSync(plain, 'ACGT\n'.repeat(10_000));
  const enc = await runCli(['encrypt', '-r', broker.recipient().toString(), '-o', path.join(dir, 'reads.txt.age'), plain]);
  assert.equal(enc.code, 0, enc.stderr);
  const m = path.join(dir, 'lab.json');
  const r = await runCli(['manifest', 'add', m, path.join(dir, 'reads.txt.age')]);
  assert.equal(r.code, 0, r.stderr);
  const parsed = parseManifest(fs.readFileSync(m), m);
  const e = parsed.entries[0]!;
  const file = fs.readFileSync(path.join(dir, 'reads.txt.age'));
  assert.equal(e.path, path.join(dir, 'reads.txt.age'));
  assert.equal(e.size, file.length);
  assert.ok(file.subarray(0, Buffer.from(e.header, 'base64').length).equals(Buffer.from(e.header, 'base64')), 'the header is the file\'s prefix');
  const header = await inPlaceHeader('hpc:/x', { ...e, deployment: 'hpc', manifest: m });
  assert.equal(unwrapFileKey(header, [broker]).length, 16, 'the broker identity unwraps the file key from the listed header');
  await assert.rejects(manifestEntry(plain), /not a binary age file/);
  const k = await keys(dir);
  const s = await runCli(['manifest', 'sign', m, '-k', k.file]);
  assert.equal(s.code, 0, s.stderr);
  assert.equal((await runCli(['manifest', 'verify', m, '--signer', k.signer])).code, 0);
  fs.rmSync(dir, { recursive: true });
});

test('an input on a deployment must be listed in its manifest and read only by steps placed there, else a start error naming the input', async () => {
  const wf = await loadWorkflow(path.join(REPO, 'examples', 'word-count'));
  const value = inPlaceValue({ deployment: 'hpc', path: '/lab/corpus.age' });
  assert.ok(value && typeof value !== 'string');
  assert.equal(typeof inPlaceValue({ deployment: 'hpc', path: 'relative.age' }), 'string');
  const loc = { file: '/x/sealflow.yaml', line: 2, column: 3 };
  const data = { signer: 'ed25519:x', entries: new Map([['/lab/corpus.age', { ...entry('/lab/corpus.age'), manifest: '/x/lab.json' }]]) };
  const deployments = [
    { id: 'hpc', connector: 'ssh' as const, platform: 'sim' as const, workers: 1, options: {}, data, loc },
    { id: 'local', connector: 'local' as const, platform: 'sim' as const, workers: 1, options: {}, loc },
  ];
  const ok = resolveDataInputs(wf, { corpus: value }, deployments, () => 'hpc', true);
  assert.deepEqual(ok.inputs['corpus'], { class: 'File', path: 'hpc:/lab/corpus.age', sha256: 'c'.repeat(64), size: 4096 });
  assert.equal(ok.data.get('hpc:/lab/corpus.age')?.deployment, 'hpc');
  assert.throws(() => resolveDataInputs(wf, { corpus: value }, deployments, (s) => (s.id === 'split' ? 'local' : 'hpc'), true), /input 'corpus' .*: step split reads it but is placed on deployment local; the file is only on deployment hpc's hosts/);
  const absent = inPlaceValue({ deployment: 'hpc', path: '/lab/other.age' }) as never;
  assert.throws(() => resolveDataInputs(wf, { corpus: absent }, deployments, () => 'hpc', true), /\/lab\/other\.age is not listed in deployment hpc's data manifest/);
  assert.throws(() => resolveDataInputs(wf, { corpus: value }, deployments, () => 'hpc', false), /cannot be used with --no-encrypt/);
  const elsewhere = inPlaceValue({ deployment: 'local', path: '/lab/corpus.age' }) as never;
  assert.throws(() => resolveDataInputs(wf, { corpus: elsewhere }, deployments, () => 'local', true), /deployment local names no data manifest/);
});

test('a deployment\'s data: is read and verified at load; on a local deployment, without a signer, or naming a missing manifest it is an error at sealflow.yaml:line', async () => {
  const dir = tmp();
  const k = await keys(dir);
  fs.writeFileSync(path.join(dir, 'lab.json'), manifestText(signManifest(unsigned('/lab/a.age'), k.key)));
  fs.writeFileSync(path.join(dir, 'flow.yaml'), 'steps:\n  a:\n    command: [true]\n');
  const wf = await loadWorkflow(dir);
  const ssh = `hpc: { connector: ssh, platform: sim, host: 10.0.0.5, user: alice, policy: p.yaml,\n         data: `;
  const load = (data: string, dep = ssh) => {
    fs.writeFileSync(path.join(dir, 'sealflow.yaml'), `deployments:\n  ${dep}${data} }\n`);
    return loadRunConfig(wf);
  };
  const cfg = await load(`{ manifest: lab.json, signer: '${k.signer}' }`);
  assert.deepEqual([...(cfg.deployments[0]?.data?.entries.keys() ?? [])], ['/lab/a.age']);
  await rejectsWith(load(`{ manifest: lab.json, signer: '${k.signer}' }`, 'local: { connector: local, platform: sim, data: '), /sealflow\.yaml:2:\d+: deployment "local": data: lists files already on a deployment's hosts; connector local has none/);
  await rejectsWith(load('{ manifest: lab.json }'), /sealflow\.yaml:3:\d+: deployment "hpc": data needs 'manifest: <file>' and 'signer:/);
  await rejectsWith(load(`{ manifest: gone.json, signer: '${k.signer}' }`), /sealflow\.yaml:3:\d+: deployment "hpc": \S*gone\.json: cannot read the data manifest \(ENOENT\)/);
  fs.rmSync(dir, { recursive: true });
});
