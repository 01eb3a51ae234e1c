/**
 * Issue 11 §6: every failure of `sealflow encrypt`, `decrypt` and `keygen`
 * ends the process with its exit status and message, at input sizes where
 * the crypto worker pool starts early (20 MiB here), from a named file, a
 * redirected standard input and a pipe — and leaves no partial output. Before
 * the fix, a wrong identity or a bogus recipient printed the right message and
 * then the process never exited (an idle prestarted pool worker kept it
 * alive). Each run is killed at a generous deadline, which fails the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { pseudoRandomBytes } from '../helpers/bytes.js';
import { runCli } from '../helpers/cli.js';
import { runCliToEnd, type EndedRun, type Stdin } from '../helpers/cli-ends.js';
import { writeReceiptFor } from '../receipt/sample.js';

const SIZE = 20 * 1024 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-failures-end-'));
after(() => fs.rmSync(dir, { recursive: true, force: true })); // ~140 MB of inputs and runs per run of this file
const at = (name: string): string => path.join(dir, name);
const env = { SEALFLOW_HOME: at('home') };
/** Where outputs go; must be exactly as it was after every failure. */
const outDir = at('out');
let recipient = '';

type Mode = 'file' | 'redirect' | 'pipe';
const MODES: readonly Mode[] = ['file', 'redirect', 'pipe'];

/** The command line and standard input that feed `input` to `args` in `mode`. */
function feed(mode: Mode, args: readonly string[], input: string): [string[], Stdin] {
  if (mode === 'file') return [[...args, input], null];
  return [[...args], mode === 'redirect' ? { redirect: input } : { pipe: input }];
}

function assertEnded(r: EndedRun, code: number, message: RegExp): void {
  assert.equal(r.hung, false, `the process did not exit; stderr so far: ${r.stderr}`);
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /internal error/);
}

function assertNoOutput(): void {
  assert.deepEqual(fs.readdirSync(outDir), [], 'no output and no temporary file is left');
}

async function encryptFile(src: string, dst: string): Promise<void> {
  const r = await runCli(['encrypt', '-r', recipient, '-o', dst, src], { env });
  assert.equal(r.code, 0, r.stderr);
}

/** A tar of a 20 MiB file followed by an entry that escapes the directory. */
async function hostileTar(file: string): Promise<void> {
  const pack = tar.pack();
  const done = new Promise<void>((resolve, reject) => {
    const ws = fs.createWriteStream(file);
    ws.on('finish', resolve).on('error', reject);
    pack.pipe(ws);
  });
  pack.entry({ name: 'big.bin', size: SIZE }, pseudoRandomBytes(SIZE, 7));
  pack.entry({ name: '../escaped.txt' }, 'outside\n');
  pack.finalize();
  await done;
}

before(async () => {
  fs.mkdirSync(outDir);
  fs.writeFileSync(at('plain.bin'), pseudoRandomBytes(SIZE));
  const kg = await runCli(['keygen', '-o', at('owner.key')], { env });
  assert.equal(kg.code, 0, kg.stderr);
  recipient = kg.stdout.trim();
  assert.equal((await runCli(['keygen', '-o', at('other.key')], { env })).code, 0);
  await encryptFile(at('plain.bin'), at('plain.bin.age'));
  const whole = fs.readFileSync(at('plain.bin.age'));
  fs.writeFileSync(at('truncated.age'), whole.subarray(0, whole.length - 3 * 1024 * 1024));
  const tampered = Buffer.from(whole);
  tampered[Math.floor(tampered.length * 0.75)]! ^= 0x01;
  fs.writeFileSync(at('tampered.age'), tampered);
  await hostileTar(at('hostile.tar'));
  await encryptFile(at('hostile.tar'), at('hostile.tar.age'));
});

describe('§6 sealflow encrypt: every failure ends the process (20 MiB input)', () => {
  for (const mode of MODES) {
    test(`a bogus recipient exits 2 naming it, input from ${mode}`, async () => {
      const [args, stdin] = feed(mode, ['encrypt', '-r', 'age1bogus', '-o', path.join(outDir, 'x.age')], at('plain.bin'));
      assertEnded(await runCliToEnd(args, { env, stdin }), 2, /malformed recipient "age1bogus"/);
      assertNoOutput();
    });

    test(`an output in a missing directory exits 2 naming it, input from ${mode}`, async () => {
      const [args, stdin] = feed(mode, ['encrypt', '-r', recipient, '-o', path.join(outDir, 'absent', 'x.age')], at('plain.bin'));
      assertEnded(await runCliToEnd(args, { env, stdin }), 2, /cannot write output file .*absent\/x\.age/);
      assertNoOutput();
    });
  }

  test('-p with an empty SEALFLOW_PASSPHRASE exits 2 and says so', async () => {
    const r = await runCliToEnd(['encrypt', '-p', '-o', path.join(outDir, 'x.age'), at('plain.bin')], { env: { ...env, SEALFLOW_PASSPHRASE: '' } });
    assertEnded(r, 2, /SEALFLOW_PASSPHRASE is set but empty/);
    assertNoOutput();
  });

  test('a missing recipients file exits 2 naming it', async () => {
    const r = await runCliToEnd(['encrypt', '-R', at('absent.txt'), '-o', path.join(outDir, 'x.age'), at('plain.bin')], { env });
    assertEnded(r, 2, /absent\.txt/);
    assertNoOutput();
  });

  test('a missing input file exits 2 naming it', async () => {
    const r = await runCliToEnd(['encrypt', '-r', recipient, '-o', path.join(outDir, 'x.age'), at('absent.bin')], { env });
    assertEnded(r, 2, /cannot read input file .*absent\.bin/);
    assertNoOutput();
  });
});

describe('§6 sealflow decrypt: every failure ends the process (20 MiB input)', () => {
  const plainOut = (): string => path.join(outDir, 'plain.bin');
  for (const mode of MODES) {
    test(`the wrong identity exits 1 with the standard message, input from ${mode}`, async () => {
      const [args, stdin] = feed(mode, ['decrypt', '-i', at('other.key'), '-o', plainOut()], at('plain.bin.age'));
      assertEnded(await runCliToEnd(args, { env, stdin }), 1, /no identity matches any recipient of this file/);
      assertNoOutput();
    });

    test(`a truncated file exits 1 and leaves no plaintext, input from ${mode}`, async () => {
      const [args, stdin] = feed(mode, ['decrypt', '-i', at('owner.key'), '-o', plainOut()], at('truncated.age'));
      assertEnded(await runCliToEnd(args, { env, stdin }), 1, /file is (corrupt or was modified|truncated)/);
      assertNoOutput();
    });

    test(`a tampered file exits 1 naming the chunk and leaves no plaintext, input from ${mode}`, async () => {
      const [args, stdin] = feed(mode, ['decrypt', '-i', at('owner.key'), '-o', plainOut()], at('tampered.age'));
      assertEnded(await runCliToEnd(args, { env, stdin }), 1, /corrupt or was modified \(payload chunk \d+\)/);
      assertNoOutput();
    });

    test(`an output in a missing directory exits 2 naming it, input from ${mode}`, async () => {
      const [args, stdin] = feed(mode, ['decrypt', '-i', at('owner.key'), '-o', path.join(outDir, 'absent', 'p.bin')], at('plain.bin.age'));
      assertEnded(await runCliToEnd(args, { env, stdin }), 2, /cannot write output file .*absent\/p\.bin/);
      assertNoOutput();
    });
  }

  test('a tampered file decrypted to standard output exits 1 after writing only authenticated chunks', async () => {
    const r = await runCliToEnd(['decrypt', '-i', at('owner.key'), '-o', '-', at('tampered.age')], { env });
    assertEnded(r, 1, /corrupt or was modified/);
    assert.ok(r.stdoutBytes < SIZE);
  });

  test('a missing input file exits 2 naming it', async () => {
    const r = await runCliToEnd(['decrypt', '-i', at('owner.key'), '-o', plainOut(), at('absent.age')], { env });
    assertEnded(r, 2, /cannot read input file .*absent\.age/);
    assertNoOutput();
  });

  test('-p with an empty SEALFLOW_PASSPHRASE exits 2 and says so', async () => {
    const r = await runCliToEnd(['decrypt', '-p', '-o', plainOut(), at('plain.bin.age')], { env: { ...env, SEALFLOW_PASSPHRASE: '' } });
    assertEnded(r, 2, /SEALFLOW_PASSPHRASE is set but empty/);
    assertNoOutput();
  });

  test('a missing identity file exits 2 naming it', async () => {
    const r = await runCliToEnd(['decrypt', '-i', at('absent.key'), '-o', plainOut(), at('plain.bin.age')], { env });
    assertEnded(r, 2, /absent\.key/);
    assertNoOutput();
  });

  test('a ciphertext that does not match the --receipt exits 1 and decrypts nothing; from standard input it is a usage error', async () => {
    assert.equal((await runCli(['master', 'init', '--insecure-plaintext-keys'], { env })).code, 0);
    const published = fs.mkdtempSync(at('published-'));
    const genuine = path.join(published, 'counts.tsv.age');
    await encryptFile(at('plain.bin'), genuine);
    await writeReceiptFor(at('home'), genuine, 'counts');
    fs.copyFileSync(at('tampered.age'), genuine); // same path, other bytes
    const r = await runCliToEnd(['decrypt', '--receipt', path.join(published, 'receipt.json'), '-i', at('owner.key'), '-o', plainOut(), genuine], { env });
    assertEnded(r, 1, /counts\.tsv\.age does not match its hash in the receipt/);
    assertNoOutput();
    const piped = await runCliToEnd(['decrypt', '--receipt', path.join(published, 'receipt.json'), '-i', at('owner.key'), '-o', plainOut()], { env, stdin: { pipe: genuine } });
    assertEnded(piped, 2, /--receipt needs the ciphertext as a file argument/);
    assertNoOutput();
  });

  for (const mode of MODES) {
    test(`--untar refuses a tar entry that escapes the directory with exit 1, extracts nothing, input from ${mode}`, async () => {
      const [args, stdin] = feed(mode, ['decrypt', '-i', at('owner.key'), '--untar', path.join(outDir, 'tree')], at('hostile.tar.age'));
      assertEnded(await runCliToEnd(args, { env, stdin }), 1, /cannot extract .*"\.\.\/escaped\.txt".*Nothing was extracted/);
      assertNoOutput();
      assert.equal(fs.existsSync(path.join(dir, 'escaped.txt')), false);
    });
  }

  test('--untar into an existing directory exits 2 naming it', async () => {
    fs.mkdirSync(at('exists'));
    const r = await runCliToEnd(['decrypt', '-i', at('owner.key'), '--untar', at('exists'), at('hostile.tar.age')], { env });
    assertEnded(r, 2, /--untar .*exists: it exists already/);
    assert.deepEqual(fs.readdirSync(at('exists')), []);
  });
});

describe('§6 sealflow keygen: every failure ends the process', () => {
  test('keygen -o onto an existing file exits 2 and leaves the file as it was', async () => {
    const before = fs.readFileSync(at('owner.key'));
    const r = await runCliToEnd(['keygen', '-o', at('owner.key')], { env });
    assertEnded(r, 2, /refusing to overwrite existing key file .*owner\.key/);
    assert.deepEqual(fs.readFileSync(at('owner.key')), before);
  });

  test('keygen -o in a missing directory exits 2 naming it', async () => {
    const r = await runCliToEnd(['keygen', '-o', path.join(outDir, 'absent', 'k.key')], { env });
    assertEnded(r, 2, /cannot create key file .*absent\/k\.key/);
    assertNoOutput();
  });
});
