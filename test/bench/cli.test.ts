import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { BenchResults } from '../../src/bench/results.js';
import { detectCapabilities, planMatrix } from '../../src/bench/matrix.js';
import { probeRunOptions } from '../../src/cli/commands/bench.js';
import { runCli } from '../helpers/cli.js';
import { assertWellFormedSvg } from './fixture.js';

describe('sealflow bench', () => {
  test('a one-run word-count benchmark runs native and every none/sim configuration this build supports, writes raw JSON, a Markdown report and an overhead chart, and with --record links them from RESULTS.md', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'sealflow-bench-test-'));
    try {
      await writeFile(path.join(tmp, 'RESULTS.md'), '# Benchmark results\n');
      const r = await runCli(['bench', '--quick', '--only', 'word-count', '--sizes', '100KB', '--runs', '1', '--record', '--out', path.join(tmp, 'results'), '--work-dir', path.join(tmp, 'work')]);
      assert.equal(r.code, 0, r.stderr);
      const planned = planMatrix(detectCapabilities(probeRunOptions()));
      const runnable = planned.filter((p) => p.notRun === null).map((p) => p.config.id);
      assert.deepEqual(runnable.slice(0, 2), ['native', 'none-plain']);
      assert.ok(runnable.includes('sim-enc'));
      const n = runnable.length;
      assert.match(r.stderr, new RegExp(`\\[1/${n}\\] word-count 100KB native run 1/1: `));
      assert.match(r.stderr, new RegExp(`\\[${n}/${n}\\] word-count 100KB sim-enc run 1/1: `));
      for (const p of planned) if (p.notRun !== null) assert.ok(r.stderr.includes(`${p.config.id}: ${p.notRun}`), p.config.id);
      assert.match(r.stderr, /sgx-gramine-enc: not run: no SGX|sgx-gramine-enc: not run: platform gramine/);
      const files = await readdir(path.join(tmp, 'results'));
      const json = files.find((f) => f.endsWith('.json'));
      assert.ok(json && files.some((f) => f.endsWith('.md')) && files.some((f) => f.endsWith('-overhead.svg')), files.join(' '));
      const res = JSON.parse(await readFile(path.join(tmp, 'results', json), 'utf8')) as BenchResults;
      assert.equal(res.cases.length, 1);
      const ids = res.cases[0]!.configs.map((c) => c.id);
      assert.deepEqual(ids, runnable);
      assert.ok(!files.some((f) => f.endsWith('.partial.json')), 'the checkpoint is removed at the end');
      for (const c of res.cases[0]!.configs) {
        assert.equal(c.runs.length, 1);
        assert.ok(c.runs[0]!.ok, c.runs[0]!.error);
        assert.ok(c.wall && c.wall.median > 0 && c.overhead !== undefined);
        assert.ok(c.treePeakRssKiB && c.treePeakRssKiB.median > 0, 'the process tree was sampled');
      }
      const svg = await readFile(path.join(tmp, 'results', files.find((f) => f.endsWith('-overhead.svg'))!), 'utf8');
      assertWellFormedSvg(svg);
      const md = await readFile(path.join(tmp, 'RESULTS.md'), 'utf8');
      assert.match(md, /## Seed workflows/);
      assert.ok(md.includes(`results/${json}`));
      assert.ok(!existsSync(path.join(tmp, 'work', `scratch-${process.pid}`)));

      await rm(path.join(tmp, 'results', files.find((f) => f.endsWith('.md'))!));
      const again = await runCli(['bench', '--report', path.join(tmp, 'results', json), '--no-results-md']);
      assert.equal(again.code, 0, again.stderr);
      assert.ok((await readdir(path.join(tmp, 'results'))).some((f) => f.endsWith('.md')), '--report writes the report again from the JSON');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  test('by default writes to .sealflow/bench and leaves a RESULTS.md alone; --report rewrites it only with --record', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'sealflow-bench-default-'));
    try {
      await mkdir(path.join(cwd, 'bench', 'results'), { recursive: true });
      const tracked = '# Benchmark results\n\n## Seed workflows\n\nhand-written\n';
      await writeFile(path.join(cwd, 'bench', 'RESULTS.md'), tracked);
      const r = await runCli(['bench', '--quick', '--only', 'word-count', '--sizes', '100KB', '--runs', '1', '--quiet', '--work-dir', path.join(cwd, 'work')], { cwd });
      assert.equal(r.code, 0, r.stderr);
      const files = await readdir(path.join(cwd, '.sealflow', 'bench'));
      const json = files.find((f) => f.endsWith('.json'));
      assert.ok(json && files.some((f) => f.endsWith('.md')), files.join(' '));
      assert.deepEqual(await readdir(path.join(cwd, 'bench', 'results')), [], 'nothing written among the tracked results');
      assert.equal(await readFile(path.join(cwd, 'bench', 'RESULTS.md'), 'utf8'), tracked);
      assert.doesNotMatch(r.stdout, /linked from/);

      await cp(path.join(cwd, '.sealflow', 'bench', json), path.join(cwd, 'bench', 'results', json));
      const plain = await runCli(['bench', '--report', path.join(cwd, 'bench', 'results', json)], { cwd });
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(await readFile(path.join(cwd, 'bench', 'RESULTS.md'), 'utf8'), tracked);
      const recorded = await runCli(['bench', '--report', path.join(cwd, 'bench', 'results', json), '--record'], { cwd });
      assert.equal(recorded.code, 0, recorded.stderr);
      const md = await readFile(path.join(cwd, 'bench', 'RESULTS.md'), 'utf8');
      assert.ok(md.includes(`results/${json}`) && md.includes('hand-written'), md);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test('rejects unknown examples and conflicting modes with exit status 2', async () => {
    const a = await runCli(['bench', '--only', 'no-such-example', '--no-results-md', '--out', os.tmpdir()]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--only no-such-example: no such example/);
    const b = await runCli(['bench', '--quick', '--full']);
    assert.equal(b.code, 2);
  });
});
