/**
 * `sealflow decrypt FILE.age` without -o (issue 11 §9): at a terminal the
 * plaintext goes to FILE beside it, never replacing a file; piped or
 * redirected, or for a name without .age, to standard output as before.
 * Before, it always printed the plaintext (binary included) on the terminal.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { derivedOutput, withoutAgeSuffix } from '../../src/cli/decrypt-output.js';
import { CLI, runCli } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-decrypt-output-'));
const at = (name: string): string => path.join(dir, name);
const env = { SEALFLOW_HOME: at('home') };

/** util-linux `script` gives the child a terminal as standard output. */
const noScript = spawnSync('script', ['--version']).error ? 'util-linux "script" is not installed (apt-get install bsdutils)' : false;

async function sealed(name: string, text: string): Promise<string> {
  if (!fs.existsSync(at('id.key'))) assert.equal((await runCli(['keygen', '-o', at('id.key')], { env })).code, 0);
  const recipient = (await runCli(['key', 'show', at('id.key')], { env })).stdout.match(/age1[0-9a-z]+/)?.[0] ?? '';
  fs.writeFileSync(at('src.txt'), text);
  const r = await runCli(['encrypt', '-r', recipient, '-o', at(name), at('src.txt')], { env });
  assert.equal(r.code, 0, r.stderr);
  return at(name);
}

/** Runs `sealflow args` with a pseudo-terminal as standard output; returns the exit status and what the terminal showed. */
function atTerminal(args: readonly string[]): { code: number | null; shown: string } {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, ...env }, encoding: 'utf8', input: '' });
  return { code: r.status, shown: r.stdout };
}

describe('the output name sealflow decrypt derives', () => {
  test('drops a trailing .age and nothing else', () => {
    assert.equal(withoutAgeSuffix('out/counts.tsv.age'), 'out/counts.tsv');
    assert.equal(withoutAgeSuffix('counts.tsv'), null);
    assert.equal(withoutAgeSuffix('.age'), null);
    assert.equal(withoutAgeSuffix('out/.age'), null);
    assert.equal(withoutAgeSuffix('page'), null);
  });

  test('is standard output when standard output is not a terminal, or for stdin', () => {
    assert.equal(derivedOutput('x.tsv.age', false), undefined);
    assert.equal(derivedOutput(undefined, true), undefined);
    assert.equal(derivedOutput('-', true), undefined);
    assert.equal(derivedOutput(at('nosuffix.bin'), true), undefined);
    assert.equal(derivedOutput(at('fresh.tsv.age'), true), at('fresh.tsv'));
  });

  test('at a terminal, decrypting counts.tsv.age writes counts.tsv beside it and shows no plaintext', { skip: noScript }, async () => {
    const file = await sealed('counts.tsv.age', 'the-plaintext\t1\n');
    const r = atTerminal(['decrypt', '-i', at('id.key'), file]);
    assert.equal(r.code, 0, r.shown);
    assert.equal(fs.readFileSync(at('counts.tsv'), 'utf8'), 'the-plaintext\t1\n');
    assert.match(r.shown, /wrote .*counts\.tsv/);
    assert.doesNotMatch(r.shown, /the-plaintext/);
  });

  test('at a terminal, an existing file of the derived name is not replaced (exit 2)', { skip: noScript }, async () => {
    const file = await sealed('kept.txt.age', 'new\n');
    fs.writeFileSync(at('kept.txt'), 'old\n');
    const r = atTerminal(['decrypt', '-i', at('id.key'), file]);
    assert.equal(r.code, 2, r.shown);
    assert.match(r.shown, /kept\.txt exists already .*give -o FILE/);
    assert.equal(fs.readFileSync(at('kept.txt'), 'utf8'), 'old\n');
  });

  test('piped, decrypting a .age file still writes the plaintext to standard output and creates no file', async () => {
    const file = await sealed('piped.txt.age', 'to stdout\n');
    const r = await runCli(['decrypt', '-i', at('id.key'), file], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'to stdout\n');
    assert.equal(fs.existsSync(at('piped.txt')), false);
  });
});
