import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { scaling, splits } from '../../src/bench/analysis.js';
import type { Configuration } from '../../src/bench/matrix.js';
import { markdownReport } from '../../src/bench/report.js';
import { linkLatest } from '../../src/bench/write.js';
import { verdicts } from '../../src/bench/targets.js';
import { fakeCase, fakeResults } from './fixture.js';

const charts = { overhead: 'x-overhead.svg', scaling: [] };

describe('the benchmark report', () => {
  test('gives median, spread and overhead per configuration, and lists what was not run and why', () => {
    const md = markdownReport(fakeResults([fakeCase('word-count', '10MB', null, { native: [1, 3, 2], 'none-plain': [4, 5, 6] })]), charts);
    assert.match(md, /\| 10MB \| – \| native \| 3\/3 \| 2\.00 \(1\.00–3\.00; IQR 1\.50–2\.50\) \| 1\.00× \|/);
    assert.match(md, /\| 10MB \| – \| none-plain \| 3\/3 \| 5\.00 \(4\.00–6\.00; IQR 4\.50–5\.50\) \| 2\.50× \|/);
    assert.match(md, /\| sgx-gramine-enc \| SGX \(Gramine\) active, encryption \| sgx-gramine \| on \| yes \| SGX Active with Data Encryption \| not run: no SGX/);
    assert.match(md, /\| sim-enc \| sealflow, sim \(not a TEE\), encryption \| sim \| on \| no \| – \|/, 'sim is labelled as not a TEE');
    assert.match(md, /Not computed: every example was measured at one size only/);
  });

  test('splits sealflow time into fixed and proportional parts when an example has two sizes', () => {
    const r = fakeResults([
      fakeCase('word-count', '10MB', null, { native: [1], 'none-plain': [2.6] }),
      fakeCase('word-count', '100MB', null, { native: [10], 'none-plain': [12.5] }),
    ]);
    const [s] = splits(r);
    assert.ok(s);
    assert.equal(s.config, 'none-plain');
    assert.ok(Math.abs(s.factor - 1.1) < 1e-9 && Math.abs(s.fixedS - 1.5) < 1e-9);
    assert.match(markdownReport(r, charts), /\| word-count \| none-plain \| 10MB, 100MB \| 1\.50 \| 1\.10 \|/);
  });

  test("computes the study's TEE-at-2×-threads comparison only when a TEE-active configuration ran", () => {
    const walls = (t: number) => ({ native: [8 / t], 'none-plain': [9 / t] });
    const noTee = fakeResults([fakeCase('dna-alignment', 'lambda', 1, walls(1)), fakeCase('dna-alignment', 'lambda', 2, walls(2))]);
    assert.match(markdownReport(noTee, charts), /not computed — no TEE-active configuration ran/);
    assert.deepEqual(scaling(noTee)[0]?.doubled.map((d) => [d.id, d.t, +d.gain.toFixed(3)]), [['native', 1, 1], ['none-plain', 1, 0.778]]);

    const tee: Configuration = { id: 'tee-test', label: 'test TEE', kind: 'sealflow', platform: 'sgx-gramine', encryption: true, teeActive: true };
    const withTee = fakeResults([
      fakeCase('dna-alignment', 'lambda', 1, { native: [8], 'tee-test': [16] }),
      fakeCase('dna-alignment', 'lambda', 2, { native: [4], 'tee-test': [6.4] }),
    ], [tee]);
    assert.match(markdownReport(withTee, charts), /the study's comparison\): tee-test p=2 vs native p=1: 25\.0%/);
  });

  test('checks the issue targets at the largest size measured, saying when that is not the issue’s size', () => {
    const r = fakeResults([
      fakeCase('word-count', '10MB', null, { native: [1], 'none-plain': [3] }),
      fakeCase('word-count', '1GB', null, { native: [50], 'none-plain': [56] }),
      fakeCase('distributed-k-means', '1e6', null, { native: [4], 'none-plain': [6.6] }),
    ]);
    const v = verdicts(r);
    assert.deepEqual(v.map((x) => [x.example, x.size, x.config, +x.allowedS.toFixed(2), x.met, x.atTargetSize]), [
      ['word-count', '1GB', 'none-plain', 56.5, true, true],
      ['distributed-k-means', '1e6', 'none-plain', 6.5, false, false],
    ]);
    const md = markdownReport(r, charts);
    assert.match(md, /\| word-count \| 1GB \| – \| none-plain \| 50\.00 \| 56\.00 \| 56\.50 \| met \(plain: reference only\) \|/);
    assert.match(md, /\| distributed-k-means \| 1e6 \| – \| none-plain \| 4\.00 \| 6\.60 \| 6\.50 \| \*\*not met\*\* \(plain: reference only\) \(at 1e6, not the issue's 1e7\) \|/);
  });

  test('RESULTS.md gets one latest-results block in its Seed workflows section, replaced on the next run', () => {
    const before = '# Benchmark results\n\n## Other\n\ntext\n\n## Seed workflows\n\nmy notes\n';
    const once = linkLatest(before, 'Latest: A');
    assert.match(once, /## Seed workflows\n\n<!-- sealflow bench: latest[^\n]*-->\nLatest: A\n<!-- \/sealflow bench: latest -->\n\nmy notes\n$/);
    const twice = linkLatest(once, 'Latest: B');
    assert.ok(twice.includes('Latest: B') && !twice.includes('Latest: A') && twice.includes('## Other\n\ntext') && twice.includes('my notes'));
    assert.match(linkLatest('# R\n', 'Latest: C'), /# R\n\n## Seed workflows\n\n<!--[^\n]*-->\nLatest: C\n/);
  });
});
