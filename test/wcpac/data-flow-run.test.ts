/**
 * docs/protocol.md §15 through the CLI: word count on two attested sim
 * workers pulls intermediates worker → worker over the data ports (the
 * journal's `data-transfer` decisions say so), and the owner's decrypted
 * result is byte-identical to a `--platform none` run.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';

interface Transfer {
  readonly type: 'data-transfer';
  readonly worker: string;
  readonly from: string;
  readonly outcome: string;
  readonly bytes: number;
  readonly file: string;
  readonly reason?: string;
}

describe('§15 worker-to-worker transfers in a run', () => {
  test('§15 word count on two sim workers pulls inputs worker to worker, and its result equals the --platform none run', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-dataflow-'));
    const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
    const config = path.join(root, 'sealflow.yaml');
    fs.writeFileSync(config, 'deployments:\n  enclaves: { connector: local, platform: sim, workers: 2, transfers: direct }\ndefault: enclaves\n');
    const wc = path.join(REPO, 'examples', 'word-count');
    const state = path.join(root, 'state');
    const sim = await runCli(['run', wc, '--config', config, '--state-dir', state, '--out', path.join(root, 'sim'), '--quiet'], { env });
    assert.equal(sim.code, 0, sim.stderr);
    const runId = fs.readdirSync(path.join(state, 'runs'))[0] ?? '';
    const events = fs.readFileSync(path.join(state, 'runs', runId, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; decision?: { type: string } });
    const transfers = events.flatMap((e) => (e.type === 'wcpac' && e.decision?.type === 'data-transfer' ? [e.decision as Transfer] : []));
    const pulled = transfers.filter((t) => t.outcome === 'pulled');
    assert.ok(pulled.length >= 1, `at least one input was pulled worker to worker: ${JSON.stringify(transfers)}`);
    for (const t of pulled) {
      assert.notEqual(t.worker, t.from, 'a pull goes from one worker to another');
      assert.equal(t.bytes, fs.statSync(t.file).size, 'the whole ciphertext arrived');
    }
    assert.deepEqual(transfers.filter((t) => t.outcome !== 'pulled'), [], 'no pull fell back to the master\'s copy');

    const plain = await runCli(['run', wc, '--platform', 'none', '--no-encrypt', '--state-dir', state, '--out', path.join(root, 'plain'), '--quiet'], { env });
    assert.equal(plain.code, 0, plain.stderr);
    const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), '-o', path.join(root, 'counts.tsv'), path.join(root, 'sim', 'counts.tsv.age')], { env });
    assert.equal(dec.code, 0, dec.stderr);
    assert.deepEqual(fs.readFileSync(path.join(root, 'counts.tsv')), fs.readFileSync(path.join(root, 'plain', 'counts.tsv')));
    fs.rmSync(root, { recursive: true, force: true });
  });
});
