/** Synthetic benchmark results (known numbers) and a small SVG well-formedness check for the bench tests. */
import { strict as assert } from 'node:assert';
import { MATRIX, type Configuration } from '../../src/bench/matrix.js';
import type { Measurement } from '../../src/bench/measure.js';
import type { BenchResults, CaseResult } from '../../src/bench/results.js';
import { summarize } from '../../src/bench/stats.js';

const run = (wallS: number): Measurement => ({ ok: true, wallS, cpuS: wallS / 2, maxProcessRssKiB: 100 * 1024, treePeakRssKiB: 200 * 1024, treePeakProcesses: 3 });

/** A case whose configurations took these wall times (seconds) per run. */
export function fakeCase(example: string, size: string, threads: number | null, walls: Record<string, number[]>): CaseResult {
  const nativeMedian = summarize(walls['native'] ?? [1]).median;
  return {
    example, size, threads,
    configs: Object.entries(walls).map(([id, w]) => {
      const wall = summarize(w);
      return { id, runs: w.map(run), wall, cpu: summarize(w.map((x) => x / 2)), maxProcessRssKiB: summarize([102400]), treePeakRssKiB: summarize([204800]), overhead: wall.median / nativeMedian };
    }),
  };
}

/** Results with the real matrix (hardware rows not run) plus, optionally, an extra TEE-active configuration that "ran". */
export function fakeResults(cases: CaseResult[], extra: Configuration[] = []): BenchResults {
  const ran = new Set(['native', 'none-plain', ...extra.map((c) => c.id)]);
  return {
    version: 1, command: 'sealflow bench --test', startedAt: '2026-11-22T14:00:00.000Z', finishedAt: '2026-11-22T14:01:00.000Z',
    machine: { cores: 2, cpu: 'test', memGiB: 1, node: 'v20', loadAvgStart: [1, 1, 1], loadAvgEnd: [1, 1, 1] },
    runsPerConfig: 3, method: 'test',
    capabilities: { hardware: { sgx: false, 'sev-snp': false, tdx: false }, platforms: ['none'], runPlatformOption: ['none'], encrypting: [] },
    matrix: [...MATRIX, ...extra].map((c) => ({ ...c, notRun: ran.has(c.id) ? null : 'not run: no SGX (/dev/sgx_enclave absent)' })),
    cases,
  };
}

/** Asserts `svg` is well-formed XML as far as this writer emits it: balanced tags, escaped text, one <svg> root. */
export function assertWellFormedSvg(svg: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(svg)) !== null) {
    const text = svg.slice(last, m.index);
    assert.ok(!/[<>]/.test(text), `unescaped markup in text: ${text.slice(0, 60)}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|apos);)/.test(text), `unescaped & in text: ${text.slice(0, 60)}`);
    last = tag.lastIndex;
    const [, close, name, , self] = m as unknown as [string, string, string, string, string];
    if (self) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else stack.push(name);
    if (stack.length === 0) assert.equal(svg.slice(last).trim(), '', 'nothing after the root element');
  }
  assert.equal(svg.slice(last).trim(), '');
  assert.deepEqual(stack, [], 'every element is closed');
}

/** The data-series names of an SVG, in order. */
export const seriesOf = (svg: string) => [...svg.matchAll(/data-series="([^"]*)"/g)].map((m) => m[1]);
