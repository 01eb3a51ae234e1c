/**
 * docs/protocol.md §10, the leak check: a unique canary in the input of a
 * run on attested sim workers appears nowhere the run, its workers or the
 * master wrote — run directory, logs, journal, attestation journal, temp
 * directories, worker scratch, terminal output — except in the owner's
 * decrypted result.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt } from '../../src/crypto/index.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { REPO, runCli } from '../helpers/cli.js';
import { filesUnder } from '../helpers/files.js';
import { collect } from '../helpers/bytes.js';

describe('§10 encrypted data flow on attested sim workers', () => {
  test('§10 leak check: the canary appears only in the owner\'s decrypted result', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-leak-'));
    const canary = `CANARY-${randomBytes(12).toString('hex')}`;
    const owner = X25519Identity.generate(); // the owner's identity stays in this test's memory
    const work = path.join(root, 'work');
    fs.cpSync(path.join(REPO, 'test', 'fixtures', 'wcpac', 'leak'), work, { recursive: true });
    const input = path.join(root, 'owner', 'text.txt'); // the owner's own plaintext, on the owner's machine
    fs.mkdirSync(path.dirname(input));
    fs.writeFileSync(input, `first line\n${canary}\nlast line\n`);
    const tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp);
    const r = await runCli(['run', path.join(work, 'flow.yaml'), '--input', `text=${input}`, '--state-dir', path.join(root, 'state'), '--owner', owner.recipient().toString()], {
      cwd: work,
      env: { SEALFLOW_HOME: path.join(root, 'home'), TMPDIR: tmp, SEALFLOW_MASTER_PASSPHRASE: '' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /platform sim is NOT a TEE/);
    assert.ok(!r.stdout.includes(canary) && !r.stderr.includes(canary), 'not on the terminal');

    const leaks = filesUnder(root).filter((f) => f !== input && fs.readFileSync(f).includes(canary));
    assert.deepEqual(leaks, [], 'no plaintext canary in any file the run wrote');
    assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.startsWith('sealflow-attested-')), [], 'the attested session removed its temporary directory');

    const runs = fs.readdirSync(path.join(root, 'state', 'runs'));
    const result = path.join(root, 'state', 'runs', runs[0] ?? '', 'outputs', 'result.txt.age');
    const sealed = fs.readFileSync(result);
    assert.ok(sealed.subarray(0, 22).equals(Buffer.from('age-encryption.org/v1\n')), 'the result is an age file');
    const plain = (await collect(decrypt([owner], sealed))).toString();
    assert.equal(plain.split(canary).length - 1, 2, 'the owner reads the canary (twice: the step doubled the text)');

    const journal = fs.readFileSync(path.join(root, 'state', 'runs', runs[0] ?? '', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; decision?: unknown });
    const decisions = journal.filter((e) => e.type === 'wcpac').map((e) => e.decision as { type: string; decision: string; step?: string; simulated?: boolean });
    assert.equal(decisions.filter((d) => d.type === 'attestation' && d.decision === 'accepted').length, 2);
    const join = decisions.find((d) => d.type === 'key-release' && d.step?.startsWith('join'));
    assert.equal(join?.decision, 'released');
    assert.equal(join?.simulated, true, 'the tee: sgx step ran on sim only because the policy allows simulation, and the journal says so');
    fs.rmSync(root, { recursive: true, force: true });
  });
});
