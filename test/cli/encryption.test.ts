/**
 * Encryption is the default for every `sealflow run` (docs/protocol.md §6a):
 * on platform `none` the workers get keys without evidence and every report
 * says "no TEE"; `--no-encrypt` runs the plain path and is refused anywhere
 * but platform none on local deployments.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';

const FLOW = "name: twice\ninputs:\n  text: file\noutputs:\n  out: { type: file, from: copy/out }\nsteps:\n  copy:\n    command: [sh, -c, 'cat \"$1\" \"$1\"', sh, $(text)]\n    stdout: out.txt\n    in: { text: text }\n    out: { out: { type: file, glob: out.txt } }\n";

function workspace(): { root: string; flow: string; text: string; env: NodeJS.ProcessEnv } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-enc-'));
  const flow = path.join(root, 'flow.yaml');
  fs.writeFileSync(flow, FLOW);
  const text = path.join(root, 'text.txt');
  fs.writeFileSync(text, 'plain words\n');
  return { root, flow, text, env: { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' } };
}

type Ev = { type: string; decision?: { type: string; decision: string; unattested?: string; claims?: unknown } };

describe('encryption by default, and --no-encrypt', () => {
  test('§6a a run on platform none encrypts by default: age outputs, keys released without evidence, "no TEE" on the console, in the journal and the receipt', async () => {
    const w = workspace();
    const r = await runCli(['run', w.flow, '--platform', 'none', '--input', `text=${w.text}`, '--state-dir', path.join(w.root, 'state'), '--out', path.join(w.root, 'out')], { env: w.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /worker local-1: no TEE \(platform none\), not attested/);
    assert.match(r.stdout, /^no TEE: .* platform none .*without evidence/m);
    const out = fs.readFileSync(path.join(w.root, 'out', 'out.txt.age'));
    assert.equal(out.subarray(0, 21).toString(), 'age-encryption.org/v1');
    assert.ok(!out.includes('plain words'));
    assert.match(r.stdout, /decrypted here for display only with .*owner-identity\.txt/);
    assert.match(r.stdout, /^ {4}plain words$/m, 'the owner sees a decrypted preview');
    const dec = await runCli(['decrypt', '-i', path.join(w.root, 'home', 'owner-identity.txt'), path.join(w.root, 'out', 'out.txt.age')], { env: w.env });
    assert.equal(dec.stdout, 'plain words\n'.repeat(2));
    const run = fs.readdirSync(path.join(w.root, 'state', 'runs'))[0] ?? '';
    const events = fs.readFileSync(path.join(w.root, 'state', 'runs', run, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev);
    const wcpac = events.filter((e) => e.type === 'wcpac').map((e) => e.decision);
    const accepted = wcpac.filter((d) => d?.type === 'attestation' && d.decision === 'accepted');
    assert.ok(accepted.length >= 1 && accepted.every((d) => d?.claims === undefined && /no TEE/.test(d?.unattested ?? '')));
    const releases = wcpac.filter((d) => d?.type === 'key-release' && d.decision === 'released');
    assert.ok(releases.length >= 1 && releases.every((d) => /local deployment/.test(d?.unattested ?? '')), 'each release says why it went without evidence');
    const { receipt } = JSON.parse(fs.readFileSync(path.join(w.root, 'out', 'receipt.json'), 'utf8')) as { receipt: { encrypted: boolean; workers: { tee: string }[]; statements: string[] } };
    assert.equal(receipt.encrypted, true);
    assert.ok(receipt.workers.every((x) => x.tee === 'none'));
    assert.ok(receipt.statements.some((s) => s.startsWith('No TEE')));
    fs.rmSync(w.root, { recursive: true, force: true });
  });

  test('--no-encrypt runs the plain path on platform none: plaintext outputs, no broker decisions, "no TEE, not encrypted"', async () => {
    const w = workspace();
    const r = await runCli(['run', w.flow, '--no-encrypt', '--input', `text=${w.text}`, '--state-dir', path.join(w.root, 'state'), '--out', path.join(w.root, 'out')], { env: w.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(w.root, 'out', 'out.txt'), 'utf8'), 'plain words\n'.repeat(2));
    assert.match(r.stdout, /^no TEE, not encrypted: /m);
    const run = fs.readdirSync(path.join(w.root, 'state', 'runs'))[0] ?? '';
    assert.ok(!fs.readFileSync(path.join(w.root, 'state', 'runs', run, 'journal.jsonl'), 'utf8').includes('"wcpac"'));
    fs.rmSync(w.root, { recursive: true, force: true });
  });

  test('--no-encrypt with platform sim is an input error (exit 2) that says what is allowed, and nothing runs', async () => {
    const w = workspace();
    const r = await runCli(['run', w.flow, '--no-encrypt', '--platform', 'sim', '--input', `text=${w.text}`, '--state-dir', path.join(w.root, 'state')], { env: w.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--no-encrypt: deployment local uses platform sim on connector local; unencrypted runs are allowed only with platform none on local deployments \(add --platform none, or drop --no-encrypt\)/);
    assert.ok(!fs.existsSync(path.join(w.root, 'state', 'runs')) || fs.readdirSync(path.join(w.root, 'state', 'runs')).length === 0);
    const help = await runCli(['run', '--help']);
    assert.match(help.stdout, /--no-encrypt/);
    fs.rmSync(w.root, { recursive: true, force: true });
  });
  test('a run started with --no-encrypt resumes unencrypted without the flag: outputs stay plaintext and no run secrets appear', async () => {
    const w = workspace();
    const state = path.join(w.root, 'state');
    const first = await runCli(['run', w.flow, '--no-encrypt', '--input', `text=${w.text}`, '--state-dir', state, '--quiet', '--json'], { env: w.env });
    assert.equal(first.code, 0, first.stderr);
    const runId = (JSON.parse(first.stdout.trim().split('\n').at(-1) ?? '{}') as { runId: string }).runId;
    const again = await runCli(['run', '--resume', runId, '--state-dir', state, '--out', path.join(w.root, 'out')], { env: w.env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /was started with --no-encrypt; it resumes unencrypted/);
    assert.equal(fs.readFileSync(path.join(w.root, 'out', 'out.txt'), 'utf8'), 'plain words\n'.repeat(2));
    assert.ok(!fs.existsSync(path.join(state, 'runs', runId, 'run-secrets.age')), 'no run secrets for a plain run');
  });
});
