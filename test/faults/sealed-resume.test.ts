/**
 * docs/protocol.md §13.2 with §10.1–§10.2: what an earlier master of an
 * encrypted run left — a sealed directory (recorded by its ciphertext hash)
 * and sealed non-file values (age-encrypted to the run recipient, in the
 * journal) — is still usable after `--resume`, because the resumed master
 * reuses the run identity and restores the recorded hashes. The journal is
 * cut right after the first step's success, as a master killed at that
 * moment would have left it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sealSmall } from '../../src/crypto/oneshot.js';
import { X25519Recipient } from '../../src/crypto/x25519.js';
import type { BrokerDecision } from '../../src/master/broker/types.js';
import { readJournal } from '../../src/engine/journal.js';
import { REPO, runCli } from '../helpers/cli.js';

describe('§13.2 resuming an encrypted run with sealed directories and values', () => {
  test('§13.2 after --resume, the downstream steps get the earlier master\'s sealed directory and sealed values', () => resumeAfterMk(false));

  test('§13.2 a sealed value swapped in the journal while the master was down is not accepted: its step runs again (outputsMac)', () => resumeAfterMk(true));
});

/** Runs the fixture, cuts the journal after mk (optionally forging mk's sealed `secret` there), resumes, checks what the owner gets. */
async function resumeAfterMk(forge: boolean): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-sealresume-'));
  const canary = `CANARY-${randomBytes(10).toString('hex')}`;
  const seed = path.join(root, 'owner', 'seed');
  fs.mkdirSync(path.join(seed, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(seed, 'sub', 'a.txt'), 'a file in the tree\n');
  fs.writeFileSync(path.join(root, 'owner', 'text.txt'), `${canary}\nsecond line\n`);
  const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '', TMPDIR: path.join(root, 'tmp') };
  fs.mkdirSync(env.TMPDIR);
  const work = path.join(root, 'work');
  fs.cpSync(path.join(REPO, 'test', 'fixtures', 'wcpac', 'sealvals'), work, { recursive: true });
  const state = path.join(root, 'state');
  const first = await runCli(['run', path.join(work, 'flow.yaml'), '--input', `seed=${seed}`, '--input', `text=${path.join(root, 'owner', 'text.txt')}`, '--state-dir', state, '--quiet'], { cwd: work, env });
  assert.equal(first.code, 0, first.stderr);
  const runId = fs.readdirSync(path.join(state, 'runs'))[0] ?? '';
  const journal = path.join(state, 'runs', runId, 'journal.jsonl');

  // The master "died" right after mk succeeded: nothing after that line was written.
  const lines = fs.readFileSync(journal, 'utf8').split('\n');
  const mkAt = lines.findIndex((l) => l.includes('"type":"step-succeeded"') && l.includes('"step":"mk"'));
  assert.ok(mkAt > 0);
  if (forge) {
    // Anyone may encrypt to the run recipient (a public key): a value of their choosing, in place of mk's secret.
    const created = lines.map((l) => (l.includes('"run-secrets"') ? (JSON.parse(l) as { decision: { runRecipient: string } }) : null)).find((x) => x !== null);
    assert.ok(created);
    const mk = JSON.parse(lines[mkAt] ?? '') as { outputs: Record<string, unknown> };
    mk.outputs['secret'] = { class: 'Sealed', age: sealSmall([X25519Recipient.parse(created.decision.runRecipient)], Buffer.from(JSON.stringify('FORGED'))) };
    lines[mkAt] = JSON.stringify(mk);
  }
  fs.writeFileSync(journal, lines.slice(0, mkAt + 1).join('\n') + '\n');

  const out = path.join(root, 'out');
  const resumed = await runCli(['run', '--resume', runId, '--state-dir', state, '--out', out], { cwd: work, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  const ev = readJournal(journal).events;
  const session2 = ev.slice(ev.findIndex((e) => e.type === 'run-resumed'));
  const restored = session2.flatMap((e) => (e.type === 'wcpac' && e.decision.type === 'run-secrets' ? [e.decision] : []))[0] as Extract<BrokerDecision, { type: 'run-secrets' }> | undefined;
  assert.equal(restored?.decision, 'restored');
  if (forge) {
    assert.deepEqual(restored?.notReused, ['mk[0]'], 'the forged record of mk is not reused');
    assert.deepEqual([...new Set(session2.flatMap((e) => (e.type === 'step-started' ? [e.step] : [])))].sort(), ['each', 'mk', 'use']);
  } else {
    assert.ok(session2.some((e) => e.type === 'step-reused' && e.step === 'mk'), 'mk was reused');
    assert.deepEqual([...new Set(session2.flatMap((e) => (e.type === 'step-started' ? [e.step] : [])))].sort(), ['each', 'use']);
    assert.ok((restored?.restoredHashes ?? 0) >= 1, 'the sealed directory\'s recorded hash was restored');
    assert.deepEqual(restored?.notReused, []);
  }

  const owner = path.join(root, 'home', 'owner-identity.txt');
  const said = await runCli(['decrypt', '-i', owner, path.join(out, 'said.txt.age')], { env });
  assert.equal(said.stdout, `${canary}\n`, 'use received mk\'s sealed string, revealed with the reused run identity');
  assert.match(resumed.stdout, new RegExp(`shout: "${canary}!"`));
  const got = JSON.parse(fs.readFileSync(path.join(out, 'outputs.json'), 'utf8')) as { got: { path: string }[] };
  const each = await Promise.all(got.got.map((f) => runCli(['decrypt', '-i', owner, f.path], { env })));
  assert.deepEqual(each.map((r) => r.stdout), ['got alpha', 'got beta'], 'each scattered over mk\'s sealed array');
  const tree = await runCli(['decrypt', '-i', owner, '--untar', path.join(root, 'tree'), path.join(out, 'tree.tar.age')], { env });
  assert.equal(tree.code, 0, tree.stderr);
  assert.equal(fs.readFileSync(path.join(root, 'tree', 'sub', 'a.txt'), 'utf8'), 'a file in the tree\n', 'use copied mk\'s sealed directory');
  fs.rmSync(root, { recursive: true, force: true });
}
