/**
 * docs/protocol.md §10 through the CLI: `sealflow run --platform sim` runs a
 * workflow on attested sim workers with encrypted data, and the owner's
 * decrypted result equals the unencrypted run's.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';

function home(): { root: string; env: NodeJS.ProcessEnv } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-runsim-'));
  return { root, env: { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' } };
}

describe('§10 sealflow run --platform sim', () => {
  test('§10 word count on attested sim workers: the owner decrypts the same counts as an unencrypted run', async () => {
    const { root, env } = home();
    const wc = path.join(REPO, 'examples', 'word-count');
    const sim = await runCli(['run', wc, '--platform', 'sim', '--state-dir', path.join(root, 'state'), '--out', path.join(root, 'sim'), '--quiet'], { env });
    assert.equal(sim.code, 0, sim.stderr);
    assert.match(sim.stderr, /worker local-\d+ attested: sim evidence \(NOT a TEE\), measurement [0-9a-f]{16}/);
    const simRun = fs.readdirSync(path.join(root, 'state', 'runs'))[0] ?? '';
    const events = fs.readFileSync(path.join(root, 'state', 'runs', simRun, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; decision?: { type: string; files?: { id: string }[] } });
    const releases = events.filter((e) => e.type === 'wcpac' && e.decision?.type === 'key-release');
    assert.ok(releases.length >= 16, 'every step got its keys');
    assert.ok(releases.every((e) => e.decision?.files?.some((f) => /tasks\.mjs\.age$/.test(f.id))), 'the task code travels sealed, its key released per step');
    const plain = await runCli(['run', wc, '--no-encrypt', '--platform', 'none', '--state-dir', path.join(root, 'state'), '--out', path.join(root, 'plain'), '--quiet'], { env });
    assert.equal(plain.code, 0, plain.stderr);
    const sealed = fs.readFileSync(path.join(root, 'sim', 'counts.tsv.age'));
    assert.ok(sealed.subarray(0, 21).toString() === 'age-encryption.org/v1');
    const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), '-o', path.join(root, 'counts.tsv'), path.join(root, 'sim', 'counts.tsv.age')], { env });
    assert.equal(dec.code, 0, dec.stderr);
    assert.deepEqual(fs.readFileSync(path.join(root, 'counts.tsv')), fs.readFileSync(path.join(root, 'plain', 'counts.tsv')));
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10 inputs already encrypted to the broker recipient are used as they are', async () => {
    const { root, env } = home();
    const init = await runCli(['master', 'init', '--insecure-plaintext-keys'], { env });
    assert.equal(init.code, 0, init.stderr);
    const recipient = (await runCli(['broker', 'recipient'], { env })).stdout.trim();
    assert.match(recipient, /^age1/);
    const text = path.join(root, 'text.txt');
    fs.writeFileSync(text, 'one two three\nfour\n');
    const enc = await runCli(['encrypt', '-r', recipient, '-o', `${text}.age`, text], { env });
    assert.equal(enc.code, 0, enc.stderr);
    const flow = path.join(REPO, 'test', 'fixtures', 'wcpac', 'leak', 'flow.yaml');
    const r = await runCli(['run', flow, '--input', `text=${text}.age`, '--state-dir', path.join(root, 'state'), '--out', path.join(root, 'out'), '--quiet'], { env });
    assert.equal(r.code, 0, r.stderr);
    const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), path.join(root, 'out', 'result.txt.age')], { env });
    assert.equal(dec.stdout, 'one two three\nfour\n'.repeat(2));
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§6 a deployment\'s policy file from policy init is used: it admits this sealflow\'s provisioner, and one that forbids sim refuses every worker', async () => {
    const { root, env } = home();
    assert.equal((await runCli(['master', 'init', '--insecure-plaintext-keys'], { env })).code, 0);
    const work = path.join(root, 'work');
    fs.cpSync(path.join(REPO, 'test', 'fixtures', 'wcpac', 'leak'), work, { recursive: true });
    const text = path.join(root, 'text.txt');
    fs.writeFileSync(text, 'policy test\n');
    const run = (policyArgs: string[]) => async () => {
      fs.rmSync(path.join(work, 'policy.yaml'), { force: true });
      const init = await runCli(['policy', 'init', '-o', path.join(work, 'policy.yaml'), ...policyArgs], { env });
      assert.equal(init.code, 0, init.stderr);
      fs.writeFileSync(path.join(work, 'sealflow.yaml'), 'deployments:\n  enclaves: { connector: local, platform: sim, workers: 1, policy: policy.yaml }\ndefault: enclaves\n');
      return runCli(['run', path.join(work, 'flow.yaml'), '--input', `text=${text}`, '--state-dir', path.join(root, 'state'), '--quiet'], { env });
    };
    const ok = await run([])();
    assert.equal(ok.code, 0, ok.stderr);
    const refused = await run(['--no-allow-simulated'])();
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not a TEE; the policy refuses it/);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10 a failing step on a sim worker shows no plaintext stderr and points at its encrypted log, which the owner can read', async () => {
    const { root, env } = home();
    const work = path.join(root, 'work');
    fs.cpSync(path.join(REPO, 'test', 'fixtures', 'wcpac', 'leak'), work, { recursive: true });
    fs.writeFileSync(path.join(work, 'fail.yaml'), "name: fail\ninputs:\n  text: file\noutputs:\n  out: { type: file, from: boom/out }\nsteps:\n  boom:\n    command: [sh, -c, 'cat \"$1\" >&2; exit 3', sh, $(text)]\n    in: { text: text }\n    out: { out: { type: file, glob: none.txt } }\n");
    const text = path.join(root, 'secret.txt');
    fs.writeFileSync(text, 'SECRET-STDERR-LINE\n');
    const r = await runCli(['run', path.join(work, 'fail.yaml'), '--config', path.join(work, 'sealflow.yaml'), '--input', `text=${text}`, '--state-dir', path.join(root, 'state')], { env });
    assert.equal(r.code, 1);
    assert.ok(!r.stderr.includes('SECRET-STDERR-LINE'), 'the stderr tail is not shown in plaintext');
    const m = /log \(encrypted\): (\S+\.err\.age)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), m[1] ?? ''], { env });
    assert.equal(dec.stdout, 'SECRET-STDERR-LINE\n');
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§10 --platform none is refused for a step that requires a TEE, and an unknown platform is an input error', async () => {
    const { root, env } = home();
    const flow = path.join(REPO, 'test', 'fixtures', 'wcpac', 'leak', 'flow.yaml');
    const none = await runCli(['run', flow, '--platform', 'none', '--input', `text=${flow}`, '--state-dir', path.join(root, 'state')], { env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /step join requires tee: sgx/);
    const bad = await runCli(['run', flow, '--platform', 'gramine', '--input', `text=${flow}`, '--state-dir', path.join(root, 'state')], { env });
    assert.equal(bad.code, 2);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('§6a a hybrid run (one none and one sim deployment) exchanges encrypted files through one broker; with --no-encrypt it is refused', async () => {
    const { root, env } = home();
    const flow = path.join(REPO, 'test', 'fixtures', 'wcpac', 'leak', 'flow.yaml');
    const text = path.join(root, 'text.txt');
    fs.writeFileSync(text, 'hybrid run\n');
    const mixed = path.join(root, 'mixed.yaml');
    fs.writeFileSync(mixed, 'deployments:\n  plain: { connector: local, platform: none, workers: 1 }\n  enclaves: { connector: local, platform: sim, workers: 1 }\ndefault: plain\nbindings:\n  - step: join\n    deployment: enclaves\n');
    const mix = await runCli(['run', flow, '--config', mixed, '--input', `text=${text}`, '--state-dir', path.join(root, 'state'), '--out', path.join(root, 'out')], { env });
    assert.equal(mix.code, 0, mix.stderr);
    assert.match(mix.stderr, /worker plain-1: no TEE \(platform none\), not attested/);
    assert.match(mix.stderr, /worker enclaves-1 attested: sim evidence \(NOT a TEE\)/);
    const result = fs.readFileSync(path.join(root, 'out', 'result.txt.age'));
    assert.equal(result.subarray(0, 21).toString(), 'age-encryption.org/v1');
    const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), path.join(root, 'out', 'result.txt.age')], { env });
    assert.equal(dec.stdout, 'hybrid run\n'.repeat(2));
    const { receipt } = JSON.parse(fs.readFileSync(path.join(root, 'out', 'receipt.json'), 'utf8')) as { receipt: { workers: { id: string; tee: string }[] } };
    assert.deepEqual(receipt.workers.map((w) => [w.id, w.tee]).sort(), [['enclaves-1', 'simulated'], ['plain-1', 'none']]);
    const refused = await runCli(['run', flow, '--no-encrypt', '--config', mixed, '--input', `text=${text}`, '--state-dir', path.join(root, 'state')], { env });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--no-encrypt: deployment enclaves uses platform sim/);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
