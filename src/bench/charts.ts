/** The harness's charts: overhead per configuration (one bar group per example and size), and thread scaling. */
import { median, representative, scaling } from './analysis.js';
import type { BenchResults } from './results.js';
import { barChart, lineChart } from './svg.js';

/** Legend text: id and what it means. */
const legendName = (results: BenchResults, id: string) => {
  const m = results.matrix.find((x) => x.id === id);
  return m ? `${id}: ${m.label}` : id;
};

function notRunNote(results: BenchResults): string[] {
  const skipped = results.matrix.filter((m) => m.notRun !== null);
  if (skipped.length === 0) return [];
  const hw = skipped.filter((m) => m.notRun?.startsWith('not run: no ')).map((m) => m.id);
  const sw = skipped.filter((m) => !m.notRun?.startsWith('not run: no ')).map((m) => m.id);
  return [
    ...(hw.length > 0 ? [`not run (no TEE hardware here): ${hw.join(', ')}`] : []),
    ...(sw.length > 0 ? [`not run (not supported by this build yet): ${sw.join(', ')}`] : []),
  ];
}

export function overheadChart(results: BenchResults): string {
  const cases = representative(results);
  const ids = results.matrix.filter((m) => m.kind === 'sealflow' && m.notRun === null).map((m) => m.id);
  const groups = cases.map((c) => `${c.example.replace('distributed-', '').replace('-recommendation', '')}\n${c.size}${c.threads !== null ? ` -p ${c.threads}` : ''}`);
  const series = ids.map((id) => {
    const per = cases.map((c) => {
      const nat = median(c, 'native');
      const r = c.configs.find((x) => x.id === id);
      if (nat === null || !r?.wall) return { v: null, lo: null, hi: null };
      return { v: r.wall.median / nat, lo: r.wall.min / nat, hi: r.wall.max / nat };
    });
    return { name: legendName(results, id), values: per.map((p) => p.v), lo: per.map((p) => p.lo), hi: per.map((p) => p.hi) };
  });
  return barChart({
    title: 'sealflow wall time / native wall time (median; whiskers: min–max run)',
    yLabel: 'overhead (× native)',
    groups,
    series,
    refLine: { value: 1, label: 'native = 1' },
    notes: [`${results.runsPerConfig} runs each, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.machine.cores} cores, load ${results.machine.loadAvgStart.join(' ')}`, ...notRunNote(results)],
    fmt: (v) => `${+v.toFixed(2)}`,
  });
}

/** One chart per dna-alignment size measured at more than one thread count. */
export function scalingCharts(results: BenchResults): { size: string; svg: string }[] {
  return scaling(results)
    .filter((s) => s.threads.length > 1)
    .map((s) => ({
      size: s.size,
      svg: lineChart({
        title: `dna-alignment ${s.size}: wall time by threads (median of ${results.runsPerConfig})`,
        xLabel: 'threads (-p of bowtie2-align-s, bowtie2-build, samtools)',
        yLabel: 'wall time (s)',
        x: s.threads,
        series: s.series.map((x) => ({ name: legendName(results, x.id), values: x.values })),
        notes: [s.series.some((x) => x.teeActive) ? 'includes TEE runs' : 'no TEE runs: this machine has no SGX / SEV-SNP / TDX', ...notRunNote(results)],
      }),
    }));
}
