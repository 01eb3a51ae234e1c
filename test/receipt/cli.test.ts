import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { workdirWith } from '../cli/run-helpers.js';

/** One real run of the `chain` fixture with its own master ($SEALFLOW_HOME), shared by the tests below. */
let cwd = '';
let env: NodeJS.ProcessEnv = {};
let receipt = '';
let outDir = '';
let masterPub = '';

before(async () => {
  const w = workdirWith('chain');
  cwd = w.cwd;
  env = { SEALFLOW_HOME: path.join(cwd, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
  const r = await runCli(['run', '--no-encrypt', w.flow, '--out', 'out'], { cwd, env });
  assert.equal(r.code, 0, r.stderr);
  outDir = path.join(cwd, 'out');
  receipt = path.join(outDir, 'receipt.json');
  assert.match(r.stdout, /^receipt: out\/receipt\.json$/m);
  const key = await runCli(['master', 'key'], { cwd, env });
  assert.equal(key.code, 0, key.stderr);
  masterPub = path.join(cwd, 'master.pub');
  fs.writeFileSync(masterPub, key.stdout);
});

function copyOf(file: string, edit: (b: Buffer) => Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-receipt-'));
  const p = path.join(dir, path.basename(file));
  fs.writeFileSync(p, edit(fs.readFileSync(file)));
  return p;
}

describe('§14 sealflow run writes a signed receipt', () => {
  test('a real run of a small workflow produces a receipt that verifies, outputs included', async () => {
    assert.equal(fs.statSync(receipt).mode & 0o777, 0o644, 'the receipt holds no secret and is 0644');
    const r = await runCli(['receipt', 'verify', receipt, '--master-key', masterPub, '--outputs', outDir], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^receipt OK: signed by the master with pin [0-9a-f]{64}$/m);
    assert.match(r.stdout, /outputs: all 1 match their SHA-256/);
    assert.match(r.stdout, /local-1 \(none on \S+\): no TEE/);
    assert.match(r.stdout, /data NOT encrypted/);
    const pin = (await runCli(['master', 'key', '--pin'], { cwd, env })).stdout.trim();
    const byPin = await runCli(['receipt', 'verify', receipt, '--master-key', pin], { cwd, env });
    assert.equal(byPin.code, 0, byPin.stderr);
    const byDefault = await runCli(['receipt', 'verify', receipt], { cwd, env });
    assert.equal(byDefault.code, 0, byDefault.stderr);
  });

  test('the receipt names the workflow, the plaintext input without a hash, and each output relative to the output directory', () => {
    const { receipt: r } = JSON.parse(fs.readFileSync(receipt, 'utf8')) as { receipt: { workflow: { file: string }; inputs: { name: string; ciphertextSha256?: string }[]; outputs: { path: string; port: string }[]; encrypted: boolean } };
    assert.equal(r.workflow.file, 'flow.yaml');
    assert.equal(r.encrypted, false);
    assert.deepEqual(r.inputs.map((i) => [i.name, i.ciphertextSha256 ?? null]), [['text', null]]);
    assert.deepEqual(r.outputs.map((o) => [o.port, o.path]), [['result', 'result.txt']]);
  });

  test('sealflow show prints where the receipt of a run is', async () => {
    const w = workdirWith('chain');
    const e = { SEALFLOW_HOME: path.join(w.cwd, 'home') };
    const r = await runCli(['run', '--no-encrypt', w.flow], { cwd: w.cwd, env: e });
    assert.equal(r.code, 0, r.stderr);
    const id = /run (\S+) succeeded/.exec(r.stdout)?.[1] ?? '';
    const show = await runCli(['show', id], { cwd: w.cwd, env: e });
    assert.match(show.stdout, new RegExp(`receipt: \\.sealflow/runs/${id}/outputs/receipt\\.json`));
  });

  test('a failed run writes no receipt; its resumed, successful run does, counting both sessions', async () => {
    const w = workdirWith('chain');
    const e = { SEALFLOW_HOME: path.join(w.cwd, 'home') };
    const failed = await runCli(['run', '--no-encrypt', w.flow, '--input', 'pause=-1', '--out', 'out'], { cwd: w.cwd, env: e });
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(fs.existsSync(path.join(w.cwd, 'out', 'receipt.json')), false);
    const id = /--resume (\S+)/.exec(failed.stderr)?.[1] ?? '';
    const resumed = await runCli(['run', '--no-encrypt', '--resume', id, '--input', 'pause=0', '--out', 'out'], { cwd: w.cwd, env: e });
    assert.equal(resumed.code, 0, resumed.stderr);
    const v = await runCli(['receipt', 'verify', path.join(w.cwd, 'out', 'receipt.json'), '--outputs', path.join(w.cwd, 'out')], { cwd: w.cwd, env: e });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, new RegExp(`run ${id} \\(chain\\) succeeded: .*, 2 sessions`));
  });

  test('a receipt contains no key material', () => {
    const text = fs.readFileSync(receipt, 'utf8');
    const master = path.join(env['SEALFLOW_HOME'] as string, 'master');
    const secrets = [fs.readFileSync(path.join(master, 'signing-key.pem'), 'utf8'), fs.readFileSync(path.join(master, 'broker-identity.txt'), 'utf8')];
    for (const s of secrets) {
      const body = s.split('\n').filter((l) => l !== '' && !l.startsWith('-----') && !l.startsWith('#'));
      for (const line of body) assert.ok(!text.includes(line.slice(0, 40)), 'the receipt holds a line of a secret key file');
    }
    for (const marker of ['AGE-SECRET-KEY', 'PRIVATE KEY', 'wrappedKey', 'fileKey']) assert.ok(!text.includes(marker), marker);
  });
});

describe('§14.4 sealflow receipt verify refuses', () => {
  test('one changed byte: exit 1, the signature is invalid', async () => {
    const text = fs.readFileSync(receipt, 'utf8');
    const i = text.indexOf('"sha256":"') + 10;
    const changed = copyOf(receipt, (b) => {
      b[i] = b[i] === 0x30 ? 0x31 : 0x30;
      return b;
    });
    const r = await runCli(['receipt', 'verify', changed, '--master-key', masterPub], { cwd, env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the signature is invalid/);
    assert.equal(r.stdout, '');
  });

  test('a receipt signed by another master key: exit 1, naming both pins', async () => {
    const other = path.join(cwd, 'other-home');
    const init = await runCli(['master', 'init', '--insecure-plaintext-keys'], { cwd, env: { SEALFLOW_HOME: other } });
    assert.equal(init.code, 0, init.stderr);
    const otherPin = (await runCli(['master', 'key', '--pin'], { cwd, env: { SEALFLOW_HOME: other } })).stdout.trim();
    const r = await runCli(['receipt', 'verify', receipt, '--master-key', otherPin], { cwd, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /signed by another master key/);
    assert.ok(r.stderr.includes(otherPin.slice(0, 16)), r.stderr);
  });

  test('an output that does not match its hash: exit 1, naming the file', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-out-'));
    fs.cpSync(outDir, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'result.txt'), '12\n');
    const r = await runCli(['receipt', 'verify', path.join(copy, 'receipt.json'), '--master-key', masterPub, '--outputs', copy], { cwd, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /result\.txt: does not match its hash in the receipt/);
    fs.rmSync(path.join(copy, 'result.txt'));
    const gone = await runCli(['receipt', 'verify', path.join(copy, 'receipt.json'), '--master-key', masterPub, '--outputs', copy], { cwd, env });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /result\.txt: missing/);
  });

  test('usage errors and unreadable files exit 2', async () => {
    for (const args of [
      ['receipt', 'verify'],
      ['receipt', 'verify', path.join(cwd, 'no-such-receipt.json'), '--master-key', masterPub],
      ['receipt', 'verify', receipt, '--master-key', path.join(cwd, 'no-such-key.pem')],
      ['receipt', 'verify', receipt, '--master-key', masterPub, '--outputs', path.join(cwd, 'no-such-dir')],
      ['receipt', 'verify', receipt, '--master-key', path.join(env['SEALFLOW_HOME'] as string, 'master', 'signing-key.pem')],
    ]) {
      const r = await runCli(args, { cwd, env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stderr, '');
    }
  });
});
