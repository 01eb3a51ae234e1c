/**
 * A user's first workflow is a copy of an example: each example, copied to a
 * directory outside the repository, runs from there with `sealflow run
 * <copy>` the way sealflow is meant to run (its own sealflow.yaml: attested
 * `sim` workers, every output age-encrypted). A copy whose task module
 * imports something outside the folder is refused before any worker starts.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/needs.js';

const EXAMPLES = path.join(REPO, 'examples');
const NAMES = ['word-count', 'distributed-k-means', 'diagnosis-recommendation', 'dna-alignment'];

interface Result {
  type: string;
  state: string;
  outputs: Record<string, { path: string } | { path: string }[]>;
  protection: string[];
}

describe('each example runs from wherever it is copied', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-copied-'));
    env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const name of NAMES) {
    const skip = name === 'dna-alignment' ? needs(['bowtie2', 'bowtie2-examples', 'samtools']) : false;
    test(`a copy of examples/${name} outside the repository runs on attested sim workers by default, with encrypted outputs`, { skip }, async () => {
      const cwd = fs.mkdtempSync(path.join(root, `${name}-`));
      fs.cpSync(path.join(EXAMPLES, name), path.join(cwd, 'my-flow'), { recursive: true });
      const r = await runCli(['run', 'my-flow', '--json', '--state-dir', 'state', '--out', 'out'], { cwd, env });
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const result = JSON.parse(r.stdout.trimEnd().split('\n').at(-1) ?? '') as Result;
      assert.equal(result.state, 'succeeded');
      assert.ok(result.protection.length > 0 && result.protection.every((l) => /^attested: \S+ \(deployment local\) — sim evidence, simulated, NOT a TEE/.test(l)), result.protection.join('\n'));
      const files = Object.values(result.outputs).flat();
      assert.ok(files.length > 0);
      for (const f of files) assert.equal(fs.readFileSync(f.path).subarray(0, 21).toString(), 'age-encryption.org/v1', `${f.path} is an age file`);
    });
  }

  test('a task importing a file outside the copied folder is refused with its file:line, exit 2, before any worker starts', async () => {
    const cwd = fs.mkdtempSync(path.join(root, 'broken-'));
    const flow = path.join(cwd, 'my-flow');
    fs.cpSync(path.join(EXAMPLES, 'word-count'), flow, { recursive: true });
    const tsv = path.join(flow, 'tasks', 'tsv.ts');
    fs.writeFileSync(tsv, fs.readFileSync(tsv, 'utf8').replace("from '../lib/text-sink.js'", "from '../../_lib/cli.js'"));
    const r = await runCli(['run', 'my-flow', '--state-dir', 'state'], { cwd, env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /my-flow\/tasks\/tsv\.ts:\d+:\d+: Could not resolve "\.\.\/\.\.\/_lib\/cli\.js"/);
    assert.doesNotMatch(r.stderr, /attested|NOT a TEE|worker/, 'no worker was started or attested');
    assert.equal(fs.existsSync(path.join(cwd, 'state', 'runs')), false, 'no run was created');
  });

  test('a helper copied into several examples (and examples/_lib, for the generators) is the same file everywhere', () => {
    const first = new Map<string, string>();
    let copies = 0;
    for (const dir of [...NAMES.map((n) => path.join(EXAMPLES, n, 'lib')), path.join(EXAMPLES, '_lib')]) {
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) {
        const where = path.relative(EXAMPLES, path.join(dir, f));
        const seen = first.get(f);
        if (seen === undefined) first.set(f, where);
        else {
          assert.equal(fs.readFileSync(path.join(dir, f), 'utf8'), fs.readFileSync(path.join(EXAMPLES, seen), 'utf8'), `examples/${where} differs from examples/${seen}`);
          copies++;
        }
      }
    }
    assert.ok(copies >= 4, `found ${copies} copies`);
  });
});
