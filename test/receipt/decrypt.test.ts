import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { writeReceiptFor } from './sample.js';

/** An output directory as an encrypted run leaves it: counts.txt.age (to the owner) and a receipt signed by the local master. */
let dir = '';
let env: NodeJS.ProcessEnv = {};
let owner = '';
let recipient = '';
let genuine = '';

async function encryptTo(text: string, out: string): Promise<void> {
  const src = path.join(path.dirname(out), `.${path.basename(out)}.src`);
  fs.writeFileSync(src, text);
  const r = await runCli(['encrypt', '-r', recipient, '-o', out, src], { env });
  assert.equal(r.code, 0, r.stderr);
  fs.rmSync(src);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-decrypt-receipt-'));
  env = { SEALFLOW_HOME: path.join(dir, 'home') };
  assert.equal((await runCli(['master', 'init', '--insecure-plaintext-keys'], { env })).code, 0);
  owner = path.join(dir, 'owner.txt');
  const kg = await runCli(['keygen', '-o', owner], { env });
  assert.equal(kg.code, 0, kg.stderr);
  recipient = kg.stdout.trim();
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  genuine = path.join(out, 'counts.txt.age');
  await encryptTo('the genuine result\n', genuine);
  await writeReceiptFor(path.join(dir, 'home'), genuine, 'counts');
});

describe('§14.5 sealflow decrypt --receipt', () => {
  test('decrypts an output whose ciphertext matches the receipt', async () => {
    const plain = path.join(dir, 'plain.txt');
    const r = await runCli(['decrypt', '--receipt', path.join(dir, 'out', 'receipt.json'), '-i', owner, '-o', plain, genuine], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(plain, 'utf8'), 'the genuine result\n');
    const moved = path.join(dir, 'elsewhere.age');
    fs.copyFileSync(genuine, moved);
    const byHash = await runCli(['decrypt', '--receipt', path.join(dir, 'out', 'receipt.json'), '-i', owner, moved], { env });
    assert.equal(byHash.code, 0, byHash.stderr);
    assert.equal(byHash.stdout, 'the genuine result\n');
  });

  test('refuses a substituted ciphertext (freshly encrypted to the owner) and writes nothing', async () => {
    const out = fs.mkdtempSync(path.join(dir, 'sub-'));
    fs.copyFileSync(path.join(dir, 'out', 'receipt.json'), path.join(out, 'receipt.json'));
    const fake = path.join(out, 'counts.txt.age');
    await encryptTo('a forged result\n', fake);
    const before = fs.readdirSync(out).sort();
    const toFile = await runCli(['decrypt', '--receipt', path.join(out, 'receipt.json'), '-i', owner, '-o', path.join(out, 'plain.txt'), fake], { env });
    assert.equal(toFile.code, 1);
    assert.match(toFile.stderr, /counts\.txt\.age does not match its hash in the receipt/);
    assert.deepEqual(fs.readdirSync(out).sort(), before, 'no plaintext file, no temporary file');
    const toStdout = await runCli(['decrypt', '--receipt', path.join(out, 'receipt.json'), '-i', owner, fake], { env });
    assert.equal(toStdout.code, 1);
    assert.equal(toStdout.stdoutBytes.length, 0);
    assert.ok(!toStdout.stderr.includes('forged'));
  });

  test('refuses a ciphertext the receipt does not list, and one checked against a modified receipt', async () => {
    const stray = path.join(dir, 'stray.age');
    await encryptTo('not from this run\n', stray);
    const r = await runCli(['decrypt', '--receipt', path.join(dir, 'out', 'receipt.json'), '-i', owner, stray], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not an output listed in the receipt/);
    assert.equal(r.stdoutBytes.length, 0);
    const bad = path.join(dir, 'bad-receipt.json');
    fs.writeFileSync(bad, fs.readFileSync(path.join(dir, 'out', 'receipt.json'), 'utf8').replace('"counts"', '"county"'));
    const t = await runCli(['decrypt', '--receipt', bad, '-i', owner, genuine], { env });
    assert.equal(t.code, 1);
    assert.match(t.stderr, /the signature is invalid/);
    assert.equal(t.stdoutBytes.length, 0);
  });

  test('--receipt with standard input is a usage error', async () => {
    const r = await runCli(['decrypt', '--receipt', path.join(dir, 'out', 'receipt.json'), '-i', owner], { env, stdin: fs.readFileSync(genuine) });
    assert.equal(r.code, 2);
    assert.equal(r.stdoutBytes.length, 0);
  });
});
