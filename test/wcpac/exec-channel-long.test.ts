/**
 * An attested worker's execution channel carries any number of messages:
 * the master's executor port holds what a worker sends before the session
 * takes its channel (a batch job may be ready first), and the session that
 * was already waiting must get that same holding channel — given the bare
 * one, the holder kept every later message and closed the connection past
 * its limit, and each worker was lost after about eight steps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';

describe('an attested worker runs many steps on one execution channel', () => {
  test('thirty trivial steps on one local sim worker succeed without the worker being lost', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-execlong-'));
    try {
      const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
      const steps = Array.from({ length: 30 }, (_, i) => `  s${i}:\n    command: ["true"]\n`).join('');
      fs.writeFileSync(path.join(root, 'flow.yaml'), `name: many-steps\nsteps:\n${steps}`);
      fs.writeFileSync(path.join(root, 'sealflow.yaml'), 'deployments:\n  local: { connector: local, platform: sim, workers: 1 }\n');
      const r = await runCli(['run', path.join(root, 'flow.yaml'), '--config', path.join(root, 'sealflow.yaml'), '--state-dir', path.join(root, 'state'), '--out', path.join(root, 'out'), '--quiet'], { env, cwd: root });
      assert.equal(r.code, 0, r.stderr);
      const runs = fs.readdirSync(path.join(root, 'state', 'runs'));
      const journal = fs.readFileSync(path.join(root, 'state', 'runs', runs[0]!, 'journal.jsonl'), 'utf8');
      assert.equal(journal.match(/"type":"worker-lost"/g)?.length ?? 0, 0, 'no worker was lost');
      assert.equal(journal.match(/"type":"step-succeeded"/g)?.length, 30);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
