/**
 * test/helpers/needs.ts: a test that cannot run for lack of a system package
 * skips loudly, naming it and the line that installs it; under
 * SEALFLOW_REQUIRE_ALL=1 (CI) the same skip is a failure naming it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { missingPackages, needs, skipMessage } from '../helpers/needs.js';

const HELPER = new URL('../helpers/needs.js', import.meta.url).href;

describe('needs(): loud skips, and SEALFLOW_REQUIRE_ALL=1', () => {
  let root: string;
  let bin: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-needs-'));
    bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    for (const c of ['bowtie2-build', 'bowtie2-align-s']) fs.writeFileSync(path.join(bin, c), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'samtools'), 'not executable', { mode: 0o644 });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a package counts as installed only when all its programs are executable on PATH and its files exist', () => {
    const files = new Set(['/usr/share/doc/bowtie2/examples/reference/lambda_virus.fa.gz']);
    const env = { path: `${path.join(root, 'nowhere')}${path.delimiter}${bin}`, exists: (f: string) => files.has(f) };
    assert.deepEqual(missingPackages(['bowtie2', 'samtools', 'bowtie2-examples', 'age'], env), ['samtools', 'bowtie2-examples', 'age']);
    files.add('/usr/share/doc/bowtie2/examples/reads/reads_1.fq.gz');
    assert.deepEqual(missingPackages(['bowtie2', 'bowtie2-examples'], env), []);
    assert.equal(needs(['bowtie2', 'bowtie2-examples'], env), false, 'nothing missing: the test runs');
  });

  test('the skip message names each missing package, what it is for, and the apt-get line that installs them', () => {
    assert.equal(
      skipMessage(['samtools', 'age']),
      'SKIPPED LOUDLY: samtools (the dna-alignment example), age (interop with the age tool) not installed (apt-get install -y samtools age; scripts/setup.sh installs everything)',
    );
  });

  /** Runs a one-test file that needs samtools, with nothing on PATH, as `node --test` would. */
  function runFixture(requireAll: boolean) {
    const file = path.join(root, 'fixture.test.mjs');
    fs.writeFileSync(file, `import { test } from 'node:test';\nimport { needs } from ${JSON.stringify(HELPER)};\ntest('aligns reads', { skip: needs(['samtools']) }, () => {});\n`);
    const env: NodeJS.ProcessEnv = { PATH: path.join(root, 'empty') };
    if (requireAll) env['SEALFLOW_REQUIRE_ALL'] = '1';
    return spawnSync(process.execPath, [file], { encoding: 'utf8', env });
  }

  test('a missing package skips the test, and says so on stderr and in the test report', () => {
    const r = runFixture(false);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /\*\*\* SKIPPED LOUDLY: samtools \(the dna-alignment example\) not installed \(apt-get install -y samtools;/);
    assert.match(r.stdout, /ok 1 - aligns reads # SKIP SKIPPED LOUDLY: samtools/);
  });

  test('under SEALFLOW_REQUIRE_ALL=1 the same missing package fails the run, naming it and how to install it', () => {
    const r = runFixture(true);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /not ok \d+ - SEALFLOW_REQUIRE_ALL=1 requires samtools/);
    assert.match(r.stdout, /required system packages are missing: samtools\. Install them: apt-get install -y samtools/);
    assert.match(r.stdout, /# fail 1/);
  });

  test('without bowtie2 and samtools on PATH, the dna-alignment tests skip loudly instead of failing', () => {
    const onlyNode = path.join(root, 'only-node');
    fs.mkdirSync(onlyNode, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(onlyNode, 'node'));
    const files = ['examples/dna-alignment.test.js', 'examples/dna-alignment-sim.test.js', 'examples/flows.test.js'].map((f) => new URL(`../${f}`, import.meta.url).pathname);
    const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { encoding: 'utf8', env: { PATH: onlyNode } });
    assert.equal(r.status, 0, r.stdout.slice(-3000));
    assert.match(r.stdout, /# fail 0/);
    for (const name of ['simulated reads align back to where they were taken from', 'with --reorder the SAM is the same for 1 and 2 threads, apart from @PG', '§10.1 examples/dna-alignment runs on attested sim workers']) {
      assert.match(r.stdout, new RegExp(`ok \\d+ - ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.* # SKIP SKIPPED LOUDLY: bowtie2 \\(`), name);
    }
    assert.match(r.stdout, /ok \d+ - examples\/dna-alignment: flow\.yaml loads.* # SKIP SKIPPED LOUDLY: bowtie2 \(/);
  });
});
