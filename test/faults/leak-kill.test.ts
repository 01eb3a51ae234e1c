/**
 * The leak check of docs/protocol.md §10, extended to §12: in an encrypted
 * run on attested sim workers, a worker is SIGKILLed while its step has the
 * decrypted canary in its scratch directory. The run still succeeds, and the
 * canary appears nowhere the run, its workers or the master wrote — except in
 * the owner's decrypted result: the killed worker's scratch and decrypted
 * inputs were wiped by the connector (§12.1).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cmd, events, workflow } from '../engine/build.js';
import { runCli } from '../helpers/cli.js';
import { filesUnder } from '../helpers/files.js';
import { faultRun, gate, holdAt, until, workerOf } from './harness.js';
import { attemptFile } from '../helpers/scratch.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-leakkill-'));
const tmp = path.join(root, 'tmp');
fs.mkdirSync(tmp);
process.env['SEALFLOW_HOME'] = path.join(root, 'home');
process.env['SEALFLOW_MASTER_PASSPHRASE'] = '';
process.env['TMPDIR'] = tmp;

describe('§12 leak check with a killed worker', () => {
  test('§12 leak check: a worker SIGKILLed with the decrypted canary in its scratch leaves it nowhere but in the owner\'s decrypted result', async () => {
    const canary = `CANARY-${randomBytes(12).toString('hex')}`;
    const input = path.join(root, 'owner', 'text.txt');
    fs.mkdirSync(path.dirname(input));
    fs.writeFileSync(input, `first\n${canary}\nlast\n`);
    const stateDir = path.join(root, 'state');
    // The step copies its (decrypted) input into its scratch, then holds at a gate; the first attempt is killed there,
    // and the gate opens when the re-run starts.
    const g = gate(path.dirname(input));
    const wf = workflow(
      [cmd('copy', { argv: ['sh', '-c', `cat "$1" > partial.txt; ${holdAt('"$2"')}; cat "$1" "$1"`, 'sh', '$(t)', g.path], in: { t: { type: 'file', from: 'text' } }, stdout: 'o.txt', out: { o: 'file o.txt' } })],
      { inputs: { text: 'file' }, outputs: { result: { type: 'file', from: 'copy/o' } } },
    );
    let runId = '';
    let partial = '';
    let sawPlaintext = false;
    const { outcome } = await faultRun(wf, {
      platform: 'sim',
      stateDir,
      inputs: { text: { class: 'File', path: input } },
      onEvent: (e, pool) => {
        if (e.type === 'run-started') runId = e.runId;
        if (e.type === 'step-started' && e.attempt === 1) {
          const pid = workerOf(pool, e.worker).pid;
          void until(() => (partial = attemptFile(stateDir, runId, 'copy.0.1', 'partial.txt') ?? '') !== '' && fs.readFileSync(partial).includes(canary)).then((ok) => {
            sawPlaintext = ok;
            process.kill(pid, 'SIGKILL');
          });
        }
        if (e.type === 'step-started' && e.attempt === 2) g.open();
      },
    });
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    assert.ok(sawPlaintext, 'the killed attempt held the decrypted canary in its scratch');
    assert.ok(events(outcome.runDir).some((e) => e.type === 'worker-lost'));
    assert.ok(await until(() => !fs.existsSync(partial)), 'the killed attempt\'s scratch was wiped');

    const leaks = filesUnder(root).filter((f) => f !== input && fs.readFileSync(f).includes(canary));
    assert.deepEqual(leaks, [], 'no plaintext canary in any file the run wrote');
    const result = (outcome.outputs['result'] as { path: string }).path;
    const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), result], { env: { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' } });
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(dec.stdout.split(canary).length - 1, 2, 'the owner reads the canary');
    fs.rmSync(root, { recursive: true, force: true });
  });
});
