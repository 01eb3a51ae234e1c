/**
 * docs/protocol.md §10.1–§10.2 through the CLI: an encrypted two-step run on
 * attested sim workers passes a directory (the owner's, admitted as a tar
 * stream inside age) and non-file values (a string, the boolean of `when`)
 * from one step to the next, and scatters over a sealed array. The owner gets the directory back byte for
 * byte; the canaries in the directory and in the value appear in no file the
 * run wrote, only in what the owner decrypts.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, runCli, type CliResult } from '../helpers/cli.js';
import { filesUnder, snapshot } from '../helpers/files.js';


describe('§10.1–§10.2 directories and non-file values in an encrypted run', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-sealrun-'));
  const canaryValue = `CANARY-VALUE-${randomBytes(10).toString('hex')}`;
  const canaryDir = `CANARY-DIR-${randomBytes(10).toString('hex')}`;
  const owner = path.join(root, 'owner'); // the owner's own plaintext, on the owner's machine
  const seed = path.join(owner, 'seed');
  const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '', TMPDIR: path.join(root, 'tmp') };
  let run: CliResult;
  let runDir = '';

  before(async () => {
    fs.mkdirSync(path.join(seed, 'sub', 'deeper'), { recursive: true });
    fs.mkdirSync(path.join(seed, 'empty'));
    fs.writeFileSync(path.join(seed, 'sub', 'secret.txt'), `${canaryDir}\n`);
    fs.writeFileSync(path.join(seed, 'sub', 'deeper', 'bytes.bin'), randomBytes(150_000));
    fs.writeFileSync(path.join(seed, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    fs.writeFileSync(path.join(owner, 'text.txt'), `${canaryValue}\nsecond line\n`);
    fs.mkdirSync(env.TMPDIR);
    const work = path.join(root, 'work');
    fs.cpSync(path.join(REPO, 'test', 'fixtures', 'wcpac', 'sealvals'), work, { recursive: true });
    run = await runCli(['run', path.join(work, 'flow.yaml'), '--input', `seed=${seed}`, '--input', `text=${path.join(owner, 'text.txt')}`, '--state-dir', path.join(root, 'state')], { cwd: work, env });
    runDir = path.join(root, 'state', 'runs', fs.readdirSync(path.join(root, 'state', 'runs'))[0] ?? '');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('§10.1 a directory output round-trips through an encrypted two-step run byte-identically', async () => {
    assert.equal(run.code, 0, run.stderr);
    const sealed = path.join(runDir, 'outputs', 'tree.tar.age');
    assert.ok(fs.readFileSync(sealed).subarray(0, 22).equals(Buffer.from('age-encryption.org/v1\n')), 'published as one age file');
    const back = path.join(root, 'back');
    const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), '--untar', back, sealed], { env });
    assert.equal(dec.code, 0, dec.stderr);
    assert.deepEqual(snapshot(back), snapshot(seed));
    const again = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), '--untar', back, sealed], { env });
    assert.equal(again.code, 2, 'an existing directory is not overwritten');
    const journal = fs.readFileSync(path.join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string; outputs?: Record<string, { class?: string; sha256?: string }> });
    const mk = journal.find((e) => e.type === 'step-succeeded' && e.step === 'mk');
    assert.equal(mk?.outputs?.['tree']?.class, 'Directory');
    assert.match(mk?.outputs?.['tree']?.sha256 ?? '', /^[0-9a-f]{64}$/, 'the intermediate directory is recorded by its ciphertext hash');
    const receipt = JSON.parse(fs.readFileSync(path.join(runDir, 'outputs', 'receipt.json'), 'utf8')) as { receipt: { inputs: { name: string; encrypted: boolean; ciphertextSha256?: string }[]; outputs: { port: string; encrypted: boolean }[] } };
    const seedIn = receipt.receipt.inputs.find((i) => i.name === 'seed');
    assert.equal(seedIn?.encrypted, true, 'the owner\'s directory was sealed to the broker before any worker saw it');
    assert.match(seedIn?.ciphertextSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(receipt.receipt.outputs.find((o) => o.port === 'tree')?.encrypted, true, 'the receipt lists the sealed directory output as one age file');
  });

  test('§10.1 a step whose directory output holds a symbolic link fails, naming the link, and nothing of it is published', async () => {
    const work = path.join(root, 'linkwork');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'flow.yaml'), "name: links\noutputs:\n  d: { type: directory, from: mk/d }\nsteps:\n  mk:\n    command: [sh, -c, 'mkdir d && echo x > d/f && ln -s /etc/hostname d/link']\n    out:\n      d: { type: directory, glob: d }\n");
    const r = await runCli(['run', path.join(work, 'flow.yaml'), '--config', path.join(REPO, 'test', 'fixtures', 'wcpac', 'sealvals', 'sealflow.yaml'), '--state-dir', path.join(root, 'linkstate')], { cwd: work, env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /d\/link is a symbolic link; a directory value in an encrypted run may hold only regular files and subdirectories/);
    const left = filesUnder(path.join(root, 'linkstate')).filter((f) => fs.readFileSync(f).toString() === 'x\n');
    assert.deepEqual(left, [], 'the refused directory\'s plaintext was removed');
  });

  test('§10.2 a non-file output value is absent in plaintext from the journal and the run directory, and the downstream step receives the right value', async () => {
    assert.equal(run.code, 0, run.stderr);
    const mine = new Set([path.join(owner, 'text.txt'), ...filesUnder(seed), ...(fs.existsSync(path.join(root, 'back')) ? filesUnder(path.join(root, 'back')) : [])]);
    const leaks = filesUnder(root).filter((f) => !mine.has(f) && (fs.readFileSync(f).includes(canaryValue) || fs.readFileSync(f).includes(canaryDir)));
    assert.deepEqual(leaks, [], 'no plaintext canary in any file the run wrote');
    assert.ok(!run.stderr.includes(canaryValue) && !run.stderr.includes(canaryDir), 'not in the progress output');
    const journal = fs.readFileSync(path.join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string; outputs?: Record<string, { class?: string }> });
    const mk = journal.find((e) => e.type === 'step-succeeded' && e.step === 'mk');
    assert.equal(mk?.outputs?.['secret']?.class, 'Sealed');
    assert.equal(mk?.outputs?.['go']?.class, 'Sealed', 'the boolean of `when` is sealed too');
    assert.ok(journal.some((e) => e.type === 'step-succeeded' && e.step === 'use'), 'the master revealed `when: go` (true) and ran the step');
    const said = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), path.join(runDir, 'outputs', 'said.txt.age')], { env });
    assert.equal(said.stdout, `${canaryValue}\n`, 'the downstream step received the value');
    const got = JSON.parse(fs.readFileSync(path.join(runDir, 'outputs', 'outputs.json'), 'utf8')) as { got: { path: string }[] };
    const each = await Promise.all(got.got.map((f) => runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), f.path], { env })));
    assert.deepEqual(each.map((r) => r.stdout), ['got alpha', 'got beta'], 'a step scattered over a sealed array got one plaintext element per instance');
    assert.match(run.stdout, new RegExp(`shout: "${canaryValue}!"`), 'the final value is shown decrypted to the owner');
    const published = JSON.parse(fs.readFileSync(path.join(runDir, 'outputs', 'outputs.json'), 'utf8')) as Record<string, { class?: string; age?: string }>;
    assert.equal(published['shout']?.class, 'Sealed');
    const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt')], { env, stdin: published['shout']?.age ?? '' });
    assert.equal(dec.stdout, JSON.stringify(`${canaryValue}!`), 'the owner reads the sealed value from outputs.json with sealflow decrypt');
  });
});
