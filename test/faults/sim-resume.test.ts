/**
 * Fault injection on the master of an encrypted run (docs/protocol.md §13.2):
 * `sealflow run --platform sim` is SIGKILLed while a step writes its output,
 * then `sealflow run --resume ID` (no --platform: an encrypted run resumes
 * encrypted). The resumed master decrypts the run secrets with the broker
 * identity, restores the recorded ciphertext hashes from the journal, and
 * redoes only the unfinished steps — recognised by keyed hashes — with
 * decrypted outputs byte-identical to an undisturbed plain run's.
 * Repeated FAULT_RUNS times (2 in `npm test`, 10 in `npm run test:faults`).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMaster } from '../../src/crypto/master-key.js';
import { readRunSecrets, RUN_SECRETS_FILE } from '../../src/master/run-secrets.js';
import { readJournal } from '../../src/engine/journal.js';
import { runCli } from '../helpers/cli.js';
import { brokerDecisions, CHAIN, checkResumed, killMasterMidStep, ownerDecrypted } from './chain.js';
import { FAULT_RUNS } from './harness.js';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-simresume-'));
const home = path.join(root, 'home');
const tmp = path.join(root, 'tmp');
fs.mkdirSync(tmp);
const env = { SEALFLOW_HOME: home, SEALFLOW_MASTER_PASSPHRASE: '', TMPDIR: tmp };
// One attested worker per master: the chain runs one step at a time, and each worker's start costs every master of the loop.
const config = path.join(root, 'sealflow.yaml');
fs.writeFileSync(config, 'deployments:\n  local: { connector: local, platform: none, workers: 1 }\ndefault: local\n');
const sessionDirs = (runId: string) => fs.readdirSync(tmp).filter((n) => n.startsWith(`sealflow-attested-${runId}-`));
let clean: { numbers: Buffer; summary: Buffer; genHash: string };

before(async () => {
  const state = path.join(root, 'plain');
  const r = await runCli(['run', CHAIN, '--no-encrypt', '--state-dir', state, '--out', path.join(root, 'clean'), '--quiet'], { env });
  assert.equal(r.code, 0, r.stderr);
  const [id] = fs.readdirSync(path.join(state, 'runs'));
  const gen = readJournal(path.join(state, 'runs', id ?? '', 'journal.jsonl')).events.find((e) => e.type === 'step-succeeded' && e.step === 'gen');
  clean = { numbers: fs.readFileSync(path.join(root, 'clean', 'numbers')), summary: fs.readFileSync(path.join(root, 'clean', 'summary')), genHash: gen?.type === 'step-succeeded' ? gen.hash : '' };
});

const decisions = brokerDecisions;

const decrypted = (file: string): Promise<Buffer> => ownerDecrypted(file, path.join(home, 'owner-identity.txt'));

/** Starts the chain encrypted and SIGKILLs its master while `mid` is writing; returns the run's state. */
const killEncryptedMaster = (stateDir: string) => killMasterMidStep(['--config', config, '--platform', 'sim'], stateDir, root, env);

describe('§13.2 fault injection: the master of an encrypted run', () => {
  test(`§13.2 the master of a sim run SIGKILLed mid-step: --resume reuses the run secrets, redoes only unfinished steps, decrypted outputs byte-identical (${FAULT_RUNS} runs)`, async () => {
    const master = await loadMaster(path.join(home, 'master'), '');
    for (let i = 0; i < FAULT_RUNS; i++) {
      const stateDir = path.join(root, `state-${i}`);
      const { runId, journal, before } = await killEncryptedMaster(stateDir);
      assert.ok(!before.some((e) => e.type === 'run-finished'));
      const done = new Set(before.flatMap((e) => (e.type === 'step-succeeded' ? [e.step] : [])));
      assert.ok(done.has('gen') && !done.has('mid'), `completed before the kill: ${[...done].join(', ')}`);

      // The run secrets: in the run directory, 0600, encrypted to the broker; the journal holds their ids only.
      const secretsFile = path.join(stateDir, 'runs', runId, RUN_SECRETS_FILE);
      assert.equal(fs.statSync(secretsFile).mode & 0o777, 0o600);
      const secrets = await readRunSecrets(secretsFile, master, runId);
      const created = decisions(before).find((d) => d.type === 'run-secrets');
      assert.ok(created?.type === 'run-secrets' && created.decision === 'created');
      assert.equal(created.runRecipient, secrets.runIdentity.recipient().toString());
      const text = fs.readFileSync(journal, 'utf8');
      for (const k of [secrets.hashKey.toString('hex'), secrets.hashKey.toString('base64'), secrets.runIdentity.toString()]) assert.ok(!text.includes(k), 'no key bytes in the journal');
      const gen = before.find((e) => e.type === 'step-succeeded' && e.step === 'gen');
      assert.ok(gen?.type === 'step-succeeded' && gen.hash !== clean.genHash, 'resume hashes of the encrypted run are keyed, not the plain run\'s');

      assert.equal(sessionDirs(runId).length, 1, 'the killed master left its session directory');
      const out = path.join(root, `resumed-${i}`);
      const resumed = await runCli(['run', '--resume', runId, '--state-dir', stateDir, '--out', out, '--quiet'], { env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(sessionDirs(runId), [], 'the resumed master removed it, and its own');
      const ev = readJournal(journal).events;
      const session2 = checkResumed(ev, done);
      assert.ok(session2.some((e) => e.type === 'worker-started') && session2.every((e) => e.type !== 'worker-started' || e.platform === 'sim'), 'resumed on sim, the run\'s --platform, without giving it again');
      assert.equal(ev.filter((e) => e.type === 'step-succeeded' && e.step === 'mid').length, 1, 'the killed attempt of mid never counted as a success');

      // The resumed master restored the same secrets and gen's recorded ciphertext hash; mid got gen's key against it.
      const d2 = decisions(session2);
      const restored = d2.find((d) => d.type === 'run-secrets');
      assert.ok(restored?.type === 'run-secrets' && restored.decision === 'restored', JSON.stringify(restored));
      assert.deepEqual([restored.runRecipient, restored.hashKeyId, restored.restoredHashes, restored.notReused], [created.runRecipient, created.hashKeyId, 1, []]);
      const genOut = gen.outputs['o'] as { path: string; sha256: string };
      const release = d2.find((d) => d.type === 'key-release' && d.step.startsWith('mid[0]#'));
      assert.ok(release?.type === 'key-release' && release.decision === 'released', JSON.stringify(release));
      assert.deepEqual(release.files, [{ id: genOut.path, sha256: genOut.sha256 }]);

      assert.deepEqual(await decrypted(path.join(out, 'numbers.age')), clean.numbers);
      assert.deepEqual(await decrypted(path.join(out, 'summary.age')), clean.summary);
    }
  });

  test('§13.2 a reused output whose ciphertext changed while the master was down is not accepted: its producer runs again, outputs byte-identical; --no-encrypt is refused', async () => {
    const stateDir = path.join(root, 'state-tampered');
    const { runId, journal, before } = await killEncryptedMaster(stateDir);
    // An encrypted run cannot be resumed unencrypted: exit 2, nothing journalled.
    const none = await runCli(['run', '--resume', runId, '--state-dir', stateDir, '--platform', 'none', '--no-encrypt', '--quiet'], { env });
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /is encrypted .*leave out --no-encrypt/);
    assert.equal(readJournal(journal).events.length, before.length, 'nothing was journalled');

    const gen = before.find((e) => e.type === 'step-succeeded' && e.step === 'gen');
    assert.ok(gen?.type === 'step-succeeded');
    const file = (gen.outputs['o'] as { path: string }).path;
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1; // same size: only the recorded hash can tell
    fs.writeFileSync(file, bytes);

    const out = path.join(root, 'resumed-tampered');
    const resumed = await runCli(['run', '--resume', runId, '--state-dir', stateDir, '--out', out, '--quiet'], { env });
    assert.equal(resumed.code, 0, resumed.stderr);
    const ev = readJournal(journal).events;
    const session2 = ev.slice(ev.findLastIndex((e) => e.type === 'run-resumed'));
    const restored = decisions(session2).find((d) => d.type === 'run-secrets');
    assert.ok(restored?.type === 'run-secrets');
    assert.deepEqual([restored.restoredHashes, restored.notReused], [0, ['gen[0]']]);
    assert.deepEqual(session2.flatMap((e) => (e.type === 'step-started' ? [e.step] : [])), ['gen', 'mid', 'last']);
    assert.deepEqual(await decrypted(path.join(out, 'numbers.age')), clean.numbers);
    assert.deepEqual(await decrypted(path.join(out, 'summary.age')), clean.summary);
    // The resumed run's receipt verifies against the master key, outputs included.
    const pin = (await runCli(['master', 'key', '--pin'], { env })).stdout.trim();
    const verified = await runCli(['receipt', 'verify', path.join(out, 'receipt.json'), '--master-key', pin, '--outputs', out], { env });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});
