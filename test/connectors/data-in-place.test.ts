/**
 * Data in place (docs/connectors/data-in-place.md) on one namespace host:
 * the word-count corpus is encrypted to the broker recipient *on the host*,
 * listed there with `sealflow manifest add`, and the manifest signed with the
 * owner's key on the master's side; only the manifest is on the master's
 * disk. A run reading it gives the same counts as the local run, and no copy
 * of the ciphertext reaches the master; a changed byte, an absent file, and a
 * manifest that is unsigned or signed by someone else are refused, saying
 * where.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, runCli } from '../helpers/cli.js';
import { hostsMissing, startHosts, type Host, type Hosts } from '../helpers/hosts.js';
import { decryptOnlyOutput, simPolicies, wordCountCopy } from '../helpers/sim-master.js';

const skip = hostsMissing();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('data in place: an input already on an ssh host, admitted by an owner-signed manifest', { skip }, () => {
  let hosts: Hosts;
  let host: Host;
  let state: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let flow: string;
  let policy: string;
  let signer: string;
  let ownerKey: string;
  let localCounts: Buffer;
  /** The ciphertext on the host, as the host sees it and as the test sees it. */
  let onHost: string;
  let onDisk: string;
  let cipherSha: string;

  const sealflowOnHost = (args: string) => host.exec(`${process.execPath} ${CLI} ${args}`);
  const config = (name: string, manifest: string, signedBy = signer) => {
    const file = path.join(state, `${name}.yaml`);
    fs.writeFileSync(
      file,
      [
        'deployments:',
        `  hpc: { connector: ssh, platform: sim, workers: 2, host: ${host.address}, user: root, identityFile: ${host.identityFile}, knownHosts: ${host.knownHostsFile}, policy: ${policy},`,
        `         data: { manifest: ${manifest}, signer: '${signedBy}' } }`,
        '',
      ].join('\n'),
    );
    return file;
  };
  const inputs = (name: string, hostPath: string) => {
    const file = path.join(state, `${name}-inputs.yaml`);
    fs.writeFileSync(file, `corpus: { deployment: hpc, path: ${hostPath} }\n`);
    return file;
  };
  const run = (name: string, extra: readonly string[]) => runCli(['run', flow, '--state-dir', path.join(state, `state-${name}`), '--out', path.join(state, `out-${name}`), ...extra], { env, cwd: state });
  const decrypt = (name: string) => decryptOnlyOutput(path.join(state, `out-${name}`), home, path.join(state, `${name}.tsv`), { env, cwd: state });
  /** A manifest on the master's disk: the host's one, signed with `key`. */
  const signedCopy = async (name: string, key = ownerKey) => {
    const file = path.join(state, `${name}.json`);
    fs.copyFileSync(path.join(host.homeOnDisk!, 'lab.json'), file);
    const r = await runCli(['manifest', 'sign', file, '-k', key], { env, cwd: state });
    assert.equal(r.code, 0, r.stderr);
    return file;
  };

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-data-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-data-home-'));
    hosts = await startHosts(1, { hide: [state, home] });
    host = hosts.hosts[0]!;
    assert.ok(host.homeOnDisk, 'the host has its own home');
    const tmp = path.join(state, 'tmp');
    fs.mkdirSync(tmp);
    env = { SEALFLOW_HOME: home, TMPDIR: tmp };
    flow = wordCountCopy(state);
    fs.rmSync(path.join(flow, 'inputs.yaml'), { force: true });
    const sim = await simPolicies(home, state);
    const master = sim.master;
    policy = sim.remoteSim;
    // The owner's side, on the host: the corpus encrypted there to the broker recipient, listed in a manifest.
    const corpus = fs.readFileSync(path.join(flow, 'data', 'sample.txt'));
    fs.mkdirSync(path.join(host.homeOnDisk!, 'lab'));
    fs.writeFileSync(path.join(host.homeOnDisk!, 'lab', 'corpus.txt'), corpus);
    onHost = `${host.home}/lab/corpus.txt.age`;
    onDisk = path.join(host.homeOnDisk!, 'lab', 'corpus.txt.age');
    await sealflowOnHost(`encrypt -r ${master.brokerIdentity.recipient().toString()} -o ${onHost} ${host.home}/lab/corpus.txt`);
    await host.exec(`rm ${host.home}/lab/corpus.txt`);
    await sealflowOnHost(`manifest add ${host.home}/lab.json ${onHost}`);
    cipherSha = sha256(fs.readFileSync(onDisk));
    // The owner's signing key (on the owner's machine, here the master's disk) signs a copy the master reads.
    ownerKey = path.join(home, 'owner-sign.pem');
    const k = await runCli(['manifest', 'keygen', '-o', ownerKey], { env, cwd: state });
    assert.equal(k.code, 0, k.stderr);
    signer = k.stdout.trim();
    // The reference: the same corpus as a plain local input on local sim workers.
    const plain = path.join(state, 'corpus.txt');
    fs.writeFileSync(plain, corpus);
    fs.writeFileSync(path.join(state, 'local.yaml'), 'deployments:\n  local: { connector: local, platform: sim, workers: 2 }\n');
    const r = await run('local', ['--config', path.join(state, 'local.yaml'), '--input', `corpus=${plain}`]);
    assert.equal(r.code, 0, r.stderr);
    localCounts = await decrypt('local');
    fs.rmSync(plain);
  });
  after(async () => {
    await hosts?.stopAll();
    if (state) fs.rmSync(state, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  test('a run reads the ciphertext on the host in place: the counts equal the local run, the receipt records it from the manifest, and no copy reaches the master', async () => {
    const manifest = await signedCopy('lab');
    const r = await run('inplace', ['--config', config('inplace', manifest), '-i', inputs('inplace', onHost)]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await decrypt('inplace')).equals(localCounts), 'the decrypted counts equal the local run byte for byte');
    const { receipt } = JSON.parse(fs.readFileSync(path.join(state, 'out-inplace', 'receipt.json'), 'utf8')) as { receipt: { inputs: { name: string; ciphertextSha256?: string; note?: string }[] } };
    const input = receipt.inputs.find((i) => i.name === 'corpus');
    assert.equal(input?.ciphertextSha256, cipherSha, 'the receipt records the ciphertext by the SHA-256 the manifest lists');
    assert.match(input?.note ?? '', new RegExp(`deployment hpc's hosts .*data manifest signed by ${signer}`));
    // Nothing on the master's disk (state, temp, home) holds the ciphertext.
    for (const root of [state, home]) {
      for (const e of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
        if (!e.isFile()) continue;
        const f = path.join(e.parentPath, e.name);
        if (fs.statSync(f).size === fs.statSync(onDisk).size) assert.notEqual(sha256(fs.readFileSync(f)), cipherSha, `a copy of the ciphertext is on the master at ${f}`);
      }
    }
    assert.ok(fs.existsSync(onDisk), 'the host keeps its file');
    // The master released the input's key under its in-place id and the manifest's hash.
    const runs = path.join(state, 'state-inplace', 'runs');
    const journal = fs.readFileSync(path.join(runs, fs.readdirSync(runs)[0]!, 'journal.jsonl'), 'utf8');
    const released = journal.split('\n').filter((l) => l.includes('"key-release"')).flatMap((l) => (JSON.parse(l) as { decision: { files?: { id: string; sha256: string }[] } }).decision.files ?? []);
    assert.ok(released.some((f) => f.id === `hpc:${onHost}` && f.sha256 === cipherSha), `a key release for hpc:${onHost}: ${JSON.stringify(released)}`);
  });

  test('a ciphertext changed by one byte on the host fails the step with the hash mismatch, naming the input and the host; nothing is published, and once the bytes are back --resume completes', async () => {
    const manifest = await signedCopy('tamper');
    const tampered = `${host.home}/lab/tampered.age`;
    const bytes = fs.readFileSync(onDisk);
    bytes[bytes.length - 5]! ^= 0x01;
    fs.writeFileSync(path.join(host.homeOnDisk!, 'lab', 'tampered.age'), bytes);
    // The manifest lists the original bytes under the tampered file's path.
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { format: string; entries: { path: string }[] };
    m.entries[0]!.path = tampered;
    fs.writeFileSync(manifest, JSON.stringify({ format: m.format, entries: m.entries }));
    const s = await runCli(['manifest', 'sign', manifest, '-k', ownerKey], { env, cwd: state });
    assert.equal(s.code, 0, s.stderr);
    const r = await run('tamper', ['--config', config('tamper', manifest), '-i', inputs('tamper', tampered)]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /input tampered\.age: the ciphertext's SHA-256 [0-9a-f]{64} is not the one the master recorded \([0-9a-f]{64}\); refusing to decrypt/);
    assert.match(r.stderr, new RegExp(`read in place: ${tampered} on deployment hpc, host [^)]*${host.address.replaceAll('.', '\\.')}`));
    assert.ok(!fs.existsSync(path.join(state, 'out-tamper')) || fs.readdirSync(path.join(state, 'out-tamper')).length === 0, 'nothing is published');
    // The host puts the listed bytes back: --resume admits the input again from the manifest and completes.
    fs.writeFileSync(path.join(host.homeOnDisk!, 'lab', 'tampered.age'), fs.readFileSync(onDisk));
    const id = /resume with: sealflow run --resume (\S+)/.exec(r.stderr)?.[1];
    assert.ok(id, r.stderr);
    const resumed = await runCli(['run', '--resume', id, '--state-dir', path.join(state, 'state-tamper'), '--out', path.join(state, 'out-tamper')], { env, cwd: state });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok((await decrypt('tamper')).equals(localCounts), 'the resumed run\'s counts equal the local run');
  });

  test('a manifest entry absent from the host is an error naming the deployment, the host and the path', async () => {
    const manifest = await signedCopy('absent');
    const gone = `${host.home}/lab/gone.age`;
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { format: string; entries: { path: string }[] };
    m.entries[0]!.path = gone;
    fs.writeFileSync(manifest, JSON.stringify({ format: m.format, entries: m.entries }));
    assert.equal((await runCli(['manifest', 'sign', manifest, '-k', ownerKey], { env, cwd: state })).code, 0);
    const r = await run('absent', ['--config', config('absent', manifest), '-i', inputs('absent', gone)]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`deployment "hpc": host ${host.address.replaceAll('.', '\\.')}(:\\d+)?: data input ${gone} \\(listed in the deployment's data manifest\\) is not a file on this host`));
  });

  test('an unsigned manifest, one signed by another key, and one changed after signing exit 2 at start with sealflow.yaml file:line; no step starts', async () => {
    const unsigned = path.join(state, 'unsigned.json');
    fs.copyFileSync(path.join(host.homeOnDisk!, 'lab.json'), unsigned);
    const otherKey = path.join(home, 'other-sign.pem');
    assert.equal((await runCli(['manifest', 'keygen', '-o', otherKey], { env, cwd: state })).code, 0);
    const other = await signedCopy('other', otherKey);
    const changed = await signedCopy('changed');
    const c = JSON.parse(fs.readFileSync(changed, 'utf8')) as { entries: { size: number }[] };
    c.entries[0]!.size += 1;
    fs.writeFileSync(changed, JSON.stringify(c));
    for (const [name, file, message] of [
      ['unsigned', unsigned, /the manifest is not signed/],
      ['other', other, /signed by ed25519:\S+, not by ed25519:\S+, the signer the run configuration trusts/],
      ['changed', changed, /the signature does not verify/],
    ] as const) {
      const cfg = config(`bad-${name}`, file);
      const r = await run(`bad-${name}`, ['--config', cfg, '-i', inputs(`bad-${name}`, onHost)]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${path.basename(cfg).replaceAll('.', '\\.')}:3:\\d+: deployment "hpc": `), `${name}: names sealflow.yaml:line`);
      assert.match(r.stderr, message, name);
      assert.doesNotMatch(r.stderr + r.stdout, /split started/);
    }
  });
});
