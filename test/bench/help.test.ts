/**
 * Every benchmark documents itself: `node dist/bench/<name>/main.js --help`
 * (and `-h`) prints how to run it and what it measures, exits 0, and does
 * nothing else — no file written, nothing spawned that outlives it, no
 * figure printed. bench/README.md lists the same benchmarks.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';

const BENCHES = fs
  .readdirSync(path.join(REPO, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(REPO, 'bench', d.name, 'main.ts')))
  .map((d) => d.name)
  .sort();

test('every benchmark with a main.ts answers --help with its command line and what it measures, and does nothing else', () => {
  assert.ok(BENCHES.length >= 17, `found only ${BENCHES.join(', ')}`);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-help-'));
  try {
    for (const name of BENCHES) {
      const flag = name === 'tools' ? '-h' : '--help';
      const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'bench', name, 'main.js'), flag], { cwd, encoding: 'utf8' });
      assert.equal(r.status, 0, `bench/${name} ${flag} exited ${r.status}: ${r.stderr}`);
      assert.equal(r.stderr, '', `bench/${name} ${flag} wrote to stderr`);
      assert.match(r.stdout, new RegExp(`^usage: .*node dist/bench/${name}/main\\.js`), `bench/${name} ${flag} starts with its command line`);
      assert.ok(r.stdout.trim().split('\n').length >= 4, `bench/${name} ${flag} says what it measures:\n${r.stdout}`);
      assert.deepEqual(fs.readdirSync(cwd), [], `bench/${name} ${flag} wrote into its working directory`);
    }
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

test('bench/README.md lists every benchmark with the command that runs it', () => {
  const readme = fs.readFileSync(path.join(REPO, 'bench', 'README.md'), 'utf8');
  for (const name of BENCHES) assert.ok(readme.includes(`node dist/bench/${name}/main.js`), `bench/README.md has no command for bench/${name}`);
});
