/** The Markdown report of one `sealflow bench` invocation. */
import { scaling, splits } from './analysis.js';
import { targetsSection } from './targets.js';
import type { BenchResults, ConfigResult } from './results.js';
import type { Summary } from './stats.js';

const s2 = (x: number) => x.toFixed(2);
const mib = (s: Summary | undefined) => (s ? (s.median / 1024).toFixed(0) : '–');
const range = (s: Summary) => `${s2(s.median)} (${s2(s.min)}–${s2(s.max)}; IQR ${s2(s.q1)}–${s2(s.q3)})`;

function row(r: ConfigResult, label: string, size: string, threads: number | null): string {
  const wall = r.wall ? range(r.wall) : `failed: ${(r.failed ?? 'no successful run').split('\n')[0]?.slice(0, 120)}`;
  const ok = r.runs.filter((m) => m.ok).length;
  return `| ${size} | ${threads ?? '–'} | ${label} | ${ok}/${r.runs.length} | ${wall} | ${r.overhead !== undefined ? `${s2(r.overhead)}×` : '–'} | ${r.cpu ? s2(r.cpu.median) : '–'} | ${mib(r.maxProcessRssKiB)} | ${mib(r.treePeakRssKiB)} |`;
}

export function markdownReport(results: BenchResults, charts: { overhead: string; scaling: { size: string; file: string }[] }): string {
  const label = new Map(results.matrix.map((m) => [m.id, m.id]));
  const m = results.machine;
  const out: string[] = [
    `### ${results.startedAt.slice(0, 19).replace('T', ' ')} UTC — \`${results.command}\``,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}; load average ${m.loadAvgStart.join(' ')} at the start, ${m.loadAvgEnd.join(' ')} at the end. ` +
      `${results.runsPerConfig} runs per configuration, interleaved. Finished ${results.finishedAt.slice(11, 19)} UTC.`,
    '',
    `Method: ${results.method}`,
    '',
    '**Configurations**',
    '',
    '| id | configuration | platform | encryption | TEE active | SecDATAVIEW configuration | status |',
    '|---|---|---|---|---|---|---|',
    ...results.matrix.map((c) => `| ${c.id} | ${c.label} | ${c.kind === 'native' ? '– (no sealflow)' : c.platform} | ${c.encryption ? 'on' : 'off'} | ${c.teeActive ? 'yes' : 'no'} | ${c.paper ?? '–'} | ${c.notRun ?? 'run'} |`),
    '',
  ];
  for (const ex of new Set(results.cases.map((c) => c.example))) {
    out.push(`**${ex}** — wall s: median (min–max; IQR), overhead = median / native median, CPU s (user+sys, whole tree), RSS MiB (medians)`, '');
    out.push('| size | threads | configuration | ok | wall s | overhead | CPU s | max process RSS | tree peak RSS |', '|---|---|---|---|---|---|---|---|---|');
    for (const c of results.cases.filter((x) => x.example === ex)) {
      if (c.prepareError !== undefined) out.push(`| ${c.size} | ${c.threads ?? '–'} | inputs not prepared: ${c.prepareError.slice(0, 120)} | | | | | | |`);
      else for (const r of c.configs) out.push(row(r, label.get(r.id) ?? r.id, c.size, c.threads));
    }
    out.push('');
  }
  out.push(...targetsSection(results));
  const sp = splits(results);
  out.push('**Fixed and proportional cost** (least-squares fit of sealflow = fixed + factor × native over the sizes measured)', '');
  if (sp.length === 0) out.push('Not computed: every example was measured at one size only (use `--full` or `--sizes A,B`).', '');
  else out.push('| example | configuration | sizes | fixed s | factor |', '|---|---|---|---|---|', ...sp.map((x) => `| ${x.example} | ${x.config} | ${x.sizes.join(', ')} | ${s2(x.fixedS)} | ${s2(x.factor)} |`), '');
  for (const s of scaling(results)) {
    out.push(`**Thread scaling, dna-alignment ${s.size}** (median wall s)`, '');
    out.push(`| configuration | ${s.threads.map((t) => `p=${t}`).join(' | ')} |`, `|---|${s.threads.map(() => '---|').join('')}`);
    out.push(...s.series.map((x) => `| ${x.id} | ${x.values.map((v) => (v === null ? '–' : s2(v))).join(' | ')} |`), '');
    const tee = s.doubled.filter((d) => d.teeActive);
    out.push(tee.length > 0
      ? `TEE at 2× threads vs native at 1× (the study's comparison): ${tee.map((d) => `${d.id} p=${2 * d.t} vs native p=${d.t}: ${(100 * d.gain).toFixed(1)}%`).join('; ')}.`
      : "TEE at 2× threads vs native at 1× (the study's comparison): not computed — no TEE-active configuration ran on this machine.");
    const other = s.doubled.filter((d) => !d.teeActive);
    if (other.length > 0) out.push('', `Without a TEE, for reference (gain = native(p) / x(2p) − 1): ${other.map((d) => `${d.id} p=${2 * d.t} vs native p=${d.t}: ${(100 * d.gain).toFixed(1)}%`).join('; ')}.`);
    out.push('');
  }
  out.push(`Charts: [overhead](${charts.overhead})${charts.scaling.map((c) => `, [thread scaling ${c.size}](${c.file})`).join('')}`, '');
  return out.join('\n');
}
