/**
 * The leak check of docs/protocol.md §10, extended to §13.2: the master of
 * an encrypted (sim) run is SIGKILLed while a step holds the decrypted
 * canary in its scratch directory, and the run is resumed. The canary
 * appears nowhere the run, its workers or either master wrote — run
 * directory (steps, logs, journal, run secrets), state directory, the
 * temporary directory of both masters, the master's home, terminal output —
 * except in the owner's decrypted result.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt } from '../../src/crypto/index.js';
import { readIdentityFile } from '../../src/crypto/keyfile.js';
import { REPO, runCli } from '../helpers/cli.js';
import { filesUnder } from '../helpers/files.js';
import { startCli, waitGone } from '../cli/run-helpers.js';
import { gate, until } from './harness.js';
import { attemptFile, scratchFilesOf } from '../helpers/scratch.js';

describe('§13.2 leak check with a killed master', () => {
  test('§13.2 leak check: a master SIGKILLed while a step holds the decrypted canary, then --resume: the canary is nowhere but in the owner\'s decrypted result', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-leakresume-'));
    const canary = `CANARY-${randomBytes(12).toString('hex')}`;
    const input = path.join(root, 'owner', 'text.txt'); // the owner's plaintext, on the owner's machine
    fs.mkdirSync(path.dirname(input));
    fs.writeFileSync(input, `first\n${canary}\nlast\n`);
    const tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp);
    const stateDir = path.join(root, 'state');
    const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '', TMPDIR: tmp };
    const flow = path.join(REPO, 'test', 'fixtures', 'faults', 'leak-resume');

    const g = gate(path.join(root, 'owner'));
    const cli = startCli(['run', flow, '--platform', 'sim', '--input', `text=${input}`, '--input', `hold=${g.path}`, '--state-dir', stateDir, '--json'], root, env);
    await cli.waitFor((e) => e.type === 'step-started' && e.step === 'slow');
    const runId = cli.events[0]?.type === 'run-started' ? cli.events[0].runId : '';
    let partial = '';
    assert.ok(await until(() => (partial = attemptFile(stateDir, runId, 'slow.0.1', 'partial.txt') ?? '') !== '' && fs.readFileSync(partial).includes(canary)), 'the step held the decrypted canary in its scratch');
    cli.child.kill('SIGKILL');
    const killed = await cli.exited;
    g.open(); // for the resumed run
    const workers = cli.events.flatMap((e) => (e.type === 'worker-started' ? [e.pid] : []));
    assert.deepEqual(await waitGone(workers, 8000), [], 'the workers exit when they lose their master');
    assert.ok(await until(() => scratchFilesOf(stateDir, runId).length === 0), `and wipe their scratch: ${scratchFilesOf(stateDir, runId).join(', ')}`);

    const resumed = await runCli(['run', '--resume', runId, '--state-dir', stateDir, '--json'], { cwd: root, env });
    assert.equal(resumed.code, 0, resumed.stderr);
    const ev = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string });
    assert.ok(ev.some((e) => e.type === 'step-reused' && e.step === 'first'), 'the finished step was reused');

    for (const [what, text] of [['first master output', JSON.stringify(cli.events) + killed.stderr], ['resumed master output', resumed.stdout + resumed.stderr]] as const) {
      assert.ok(!text.includes(canary), `not in the ${what}`);
    }
    const leaks = filesUnder(root).filter((f) => f !== input && fs.readFileSync(f).includes(canary));
    assert.deepEqual(leaks, [], 'no plaintext canary in any file the run wrote');
    assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.startsWith('sealflow-attested-')), [], 'no session directory of either master is left');

    const result = path.join(stateDir, 'runs', runId, 'outputs', 'result.txt.age');
    const sealed = fs.readFileSync(result);
    assert.ok(sealed.subarray(0, 22).equals(Buffer.from('age-encryption.org/v1\n')), 'the result is an age file');
    const parts: Buffer[] = [];
    for await (const c of decrypt(await readIdentityFile(path.join(root, 'home', 'owner-identity.txt')), sealed)) parts.push(Buffer.from(c as Uint8Array));
    assert.equal(Buffer.concat(parts).toString().split(canary).length - 1, 2, 'the owner reads the canary (twice: first doubled the text)');
    fs.rmSync(root, { recursive: true, force: true });
  });
});
