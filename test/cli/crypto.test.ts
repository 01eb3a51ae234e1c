/**
 * `sealflow keygen`, `key show`, `encrypt`, `decrypt` as a user runs them:
 * exit status 0 / 1 (decryption failed) / 2 (invalid input), messages, and
 * no plaintext left behind by a failed decryption.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { age, ageMissing } from '../helpers/age.js';
import { pseudoRandomBytes } from '../helpers/bytes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-cli-crypto-'));
const at = (name: string): string => path.join(dir, name);
const PLAIN = pseudoRandomBytes(3 * 1024 * 1024 + 12345); // several 1 MiB batches
writeFileSync(at('plain.bin'), PLAIN);

/** Files in `dir` whose names look like our temporary outputs. */
const leftovers = (): string[] => readdirSync(dir).filter((f) => f.includes('sealflow-tmp'));

describe('sealflow keygen and key show', () => {
  test('keygen -o writes a 0600 identity file and prints its recipient; key show prints the same', async () => {
    const r = await runCli(['keygen', '-o', at('id.key')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^age1[0-9a-z]{58}\n$/);
    assert.equal(statSync(at('id.key')).mode & 0o777, 0o600);
    const show = await runCli(['key', 'show', at('id.key')]);
    assert.equal(show.code, 0);
    assert.equal(show.stdout, r.stdout);
    assert.equal(show.stderr, '');
  });

  test('keygen refuses to overwrite an existing key file (exit 2)', async () => {
    writeFileSync(at('taken.key'), 'keep me');
    const r = await runCli(['keygen', '-o', at('taken.key')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to overwrite existing key file/);
    assert.equal(readFileSync(at('taken.key'), 'utf8'), 'keep me');
  });

  test('keygen without -o prints the identity file to stdout and the public key to stderr', async () => {
    const r = await runCli(['keygen']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^# created: .*\n# public key: age1.*\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    assert.match(r.stderr, /^Public key: age1/);
  });

  test('key show warns when the key file is readable by others, and fails with exit 2 on a missing file', async () => {
    await runCli(['keygen', '-o', at('open.key')]);
    chmodSync(at('open.key'), 0o644);
    const r = await runCli(['key', 'show', at('open.key')]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning: key file .*open\.key is accessible by other users/);
    const missing = await runCli(['key', 'show', at('nope.key')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read identity file .*nope\.key/);
  });

  test('the commands have --help text', async () => {
    for (const cmd of [['keygen'], ['key', 'show'], ['encrypt'], ['decrypt']]) {
      const r = await runCli([...cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Usage: sealflow/);
    }
  });
});

describe('sealflow encrypt and decrypt', async () => {
  await runCli(['keygen', '-o', at('me.key')]);
  const me = (await runCli(['key', 'show', at('me.key')])).stdout.trim();
  await runCli(['keygen', '-o', at('other.key')]);

  test('round-trip file to file, binary and armored, with -r and -R', async () => {
    writeFileSync(at('recipients.txt'), `# me\n${me}\n`);
    for (const extra of [[], ['-a']]) {
      const e = await runCli(['encrypt', '-R', at('recipients.txt'), ...extra, '-o', at('c.age'), at('plain.bin')]);
      assert.equal(e.code, 0, e.stderr);
      const d = await runCli(['decrypt', '-i', at('me.key'), '-o', at('p.out'), at('c.age')]);
      assert.equal(d.code, 0, d.stderr);
      assert.ok(readFileSync(at('p.out')).equals(PLAIN));
    }
  });

  test('round-trip through stdin and stdout', async () => {
    const e = await runCli(['encrypt', '-r', me], { stdin: PLAIN.subarray(0, 100_000) });
    assert.equal(e.code, 0, e.stderr);
    const d = await runCli(['decrypt', '-i', at('me.key')], { stdin: e.stdoutBytes });
    assert.equal(d.code, 0, d.stderr);
    assert.ok(d.stdoutBytes.equals(PLAIN.subarray(0, 100_000)));
  });

  test('a malformed recipient is an input error naming it (exit 2) and creates no output', async () => {
    const r = await runCli(['encrypt', '-r', 'age1bogus', '-o', at('never.age'), at('plain.bin')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /malformed recipient "age1bogus"/);
    assert.ok(!existsSync(at('never.age')));
    const none = await runCli(['encrypt', at('plain.bin')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no recipients/);
  });

  test('an unreadable identity file is an input error naming it (exit 2)', async () => {
    const r = await runCli(['decrypt', '-i', at('absent.key'), at('c.age')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /absent\.key/);
  });

  test('the wrong identity fails with exit 1 and the standard message, leaving no output', async () => {
    await runCli(['encrypt', '-r', me, '-o', at('w.age'), at('plain.bin')]);
    const r = await runCli(['decrypt', '-i', at('other.key'), '-o', at('w.out'), at('w.age')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no identity matches any recipient of this file/);
    assert.ok(!existsSync(at('w.out')));
    assert.deepEqual(leftovers(), []);
  });

  test('a modified or truncated file fails with exit 1, names the chunk, and leaves no output file', async () => {
    await runCli(['encrypt', '-r', me, '-o', at('t.age'), at('plain.bin')]);
    const good = readFileSync(at('t.age'));
    writeFileSync(at('existing.out'), 'old contents');
    const flipped = Buffer.from(good);
    flipped[good.length - 70_000]! ^= 4; // inside the second-to-last chunk
    const cases: Array<[Buffer, RegExp]> = [
      [flipped, /file is corrupt or was modified \(payload chunk 47\)/],
      [good.subarray(0, good.length - 1000), /file is corrupt or was modified \(payload chunk 48\)/],
      [good.subarray(0, 150), /file is corrupt or was modified \(header\)/],
    ];
    for (const [bytes, message] of cases) {
      writeFileSync(at('bad.age'), bytes);
      for (const out of ['fresh.out', 'existing.out']) {
        const r = await runCli(['decrypt', '-i', at('me.key'), '-o', at(out), at('bad.age')]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, message);
      }
      assert.ok(!existsSync(at('fresh.out')));
      assert.equal(readFileSync(at('existing.out'), 'utf8'), 'old contents');
      assert.deepEqual(leftovers(), []);
    }
  });

  test('to stdout, only authenticated batches are written before a failure, and the exit status is 1', async () => {
    const bytes = readFileSync(at('t.age'));
    bytes[bytes.length - 70_000]! ^= 4;
    const r = await runCli(['decrypt', '-i', at('me.key')], { stdin: bytes });
    assert.equal(r.code, 1);
    assert.ok(r.stdoutBytes.length < PLAIN.length);
    assert.ok(r.stdoutBytes.equals(PLAIN.subarray(0, r.stdoutBytes.length)));
  });

  test('bad armor fails with a clear message (exit 1)', async () => {
    const e = await runCli(['encrypt', '-a', '-r', me], { stdin: 'hello' });
    const lines = e.stdout.split('\n');
    lines[1] = lines[1]!.slice(0, 60); // a short line in the middle
    const r = await runCli(['decrypt', '-i', at('me.key')], { stdin: `${lines[0]}\n${lines[1]}\nAAAA\n${lines.slice(2).join('\n')}` });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /file is corrupt or was modified \(armor\)/);
  });

  test('-p encrypts and decrypts with the passphrase from SEALFLOW_PASSPHRASE, and fails without one', async () => {
    const env = { SEALFLOW_PASSPHRASE: 'a long passphrase' };
    const e = await runCli(['encrypt', '-p', '-o', at('pw.age')], { stdin: 'secret', env });
    assert.equal(e.code, 0, e.stderr);
    const d = await runCli(['decrypt', '-p', at('pw.age')], { env });
    assert.equal(d.stdout, 'secret');
    const wrong = await runCli(['decrypt', '-p', at('pw.age')], { env: { SEALFLOW_PASSPHRASE: 'nope' } });
    assert.equal(wrong.code, 1);
    const mixed = await runCli(['encrypt', '-p', '-r', me], { stdin: 'x', env });
    assert.equal(mixed.code, 2);
  });

  test('the CLI interoperates with the age CLI both ways', { skip: ageMissing }, async () => {
    writeFileSync(at('byage.age'), age(['-r', me], PLAIN));
    const d = await runCli(['decrypt', '-i', at('me.key'), '-o', at('byage.out'), at('byage.age')]);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(readFileSync(at('byage.out')).equals(PLAIN));
    await runCli(['encrypt', '-a', '-r', me, '-o', at('forage.age'), at('plain.bin')]);
    assert.ok(age(['-d', '-i', at('me.key'), at('forage.age')]).equals(PLAIN));
  });
});
