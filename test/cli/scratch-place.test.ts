/**
 * docs/protocol.md §10.8 from the command line: an encrypted run names its
 * outputs as age files everywhere the user sees them and keeps its workers'
 * plaintext in the scratch base it announces; without a usable scratch base
 * it fails before any step runs, saying what to set.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJournal } from '../../src/engine/journal.js';
import { runCli } from '../helpers/cli.js';
import { filesUnder } from '../helpers/files.js';

const FLOW = "name: twice\ninputs:\n  text: file\noutputs:\n  out: { type: file, from: copy/out }\n  tree: { type: directory, from: copy/tree }\nsteps:\n  copy:\n    command: [sh, -c, 'cat \"$1\" \"$1\" > out.txt; mkdir tree; cp \"$1\" tree/a.txt', sh, $(text)]\n    in: { text: text }\n    out:\n      out: { type: file, glob: out.txt }\n      tree: { type: directory, glob: tree }\n";
const AGE = 'age-encryption.org/v1\n';

function workspace(): { root: string; flow: string; text: string; env: Record<string, string> } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-scratchplace-'));
  const flow = path.join(root, 'flow.yaml');
  fs.writeFileSync(flow, FLOW);
  const text = path.join(root, 'text.txt');
  fs.writeFileSync(text, 'plain words\n');
  return { root, flow, text, env: { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '', SEALFLOW_SCRATCH_DIR: path.join(root, 'shm') } };
}

describe('§10.8 encrypted outputs and worker scratch, as the user sees them', () => {
  test('§10.8 an encrypted run\'s outputs are age files named <name>.age and <id>.tar.age in steps/<step>.<index>/, outputs/, the journal and the printed result', async () => {
    const w = workspace();
    try {
      const state = path.join(w.root, 'state');
      const r = await runCli(['run', w.flow, '--platform', 'none', '--input', `text=${w.text}`, '--state-dir', state], { env: w.env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`workers keep plaintext .* in ${path.join(w.root, 'shm').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/sealflow-scratch-\\S+, chosen by SEALFLOW_SCRATCH_DIR; on platforms sim and none this is NOT TEE-protected memory`));
      const runId = fs.readdirSync(path.join(state, 'runs'))[0] ?? '';
      const runDir = path.join(state, 'runs', runId);
      const steps = filesUnder(path.join(runDir, 'steps')).map((f) => path.relative(runDir, f)).sort();
      assert.deepEqual(steps, ['steps/copy.0/out.txt.age', 'steps/copy.0/tree.tar.age']);
      const published = filesUnder(path.join(runDir, 'outputs')).map((f) => path.basename(f)).filter((n) => n !== 'outputs.json' && n !== 'receipt.json').sort();
      assert.deepEqual(published, ['out.txt.age', 'tree.tar.age']);
      for (const f of [...steps.map((s) => path.join(runDir, s)), path.join(runDir, 'outputs', 'out.txt.age')]) {
        assert.equal(fs.readFileSync(f).subarray(0, AGE.length).toString(), AGE, `${f} is an age file`);
      }
      const done = readJournal(path.join(runDir, 'journal.jsonl')).events.find((e) => e.type === 'step-succeeded');
      assert.ok(done?.type === 'step-succeeded');
      assert.deepEqual([(done.outputs['out'] as { path: string }).path, (done.outputs['tree'] as { path: string }).path].map((p) => path.relative(runDir, p)), ['steps/copy.0/out.txt.age', 'steps/copy.0/tree.tar.age'], 'the journal names the files as they are');
      assert.match(r.stdout, /out: \S*outputs\/out\.txt\.age$/m, 'the printed result names the age file');
      const dec = await runCli(['decrypt', '-i', path.join(w.root, 'home', 'owner-identity.txt'), path.join(runDir, 'outputs', 'out.txt.age')], { env: w.env });
      assert.equal(dec.stdout, 'plain words\n'.repeat(2));
      assert.deepEqual(fs.existsSync(path.join(w.root, 'shm')) ? filesUnder(path.join(w.root, 'shm')) : [], [], 'the run leaves nothing in scratch');
    } finally {
      fs.rmSync(w.root, { recursive: true, force: true });
    }
  });

  test('§10.8 without a usable scratch base an encrypted run fails before any step runs and says what to set', async () => {
    const w = workspace();
    try {
      fs.mkdirSync(path.join(w.root, 'shm'));
      fs.writeFileSync(path.join(w.root, 'shm', `sealflow-scratch-${process.getuid?.() ?? os.userInfo().username}`), 'not a directory');
      const state = path.join(w.root, 'state');
      const r = await runCli(['run', w.flow, '--platform', 'none', '--input', `text=${w.text}`, '--state-dir', state], { env: w.env });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /no usable scratch directory: tried .*sealflow-scratch-.*; set SEALFLOW_SCRATCH_DIR to a private directory; nothing ran/);
      assert.doesNotMatch(r.stderr, /internal error/);
      const runId = fs.readdirSync(path.join(state, 'runs'))[0] ?? '';
      assert.ok(!readJournal(path.join(state, 'runs', runId, 'journal.jsonl')).events.some((e) => e.type === 'step-started'), 'no step started');
    } finally {
      fs.rmSync(w.root, { recursive: true, force: true });
    }
  });
});
