/**
 * A small SVG chart writer (no dependencies): grouped bar charts with
 * whiskers, and line charts. Output is standalone SVG 1.1 that browsers and
 * rsvg-convert open; every series is a <g class="series" data-series="…">.
 */

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1', '#edc948', '#9c755f'];

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" upper bound and tick step for an axis from 0 to `max`. */
export function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  return { top: Math.ceil(max / step) * step, step };
}

const n = (x: number) => +x.toFixed(1);

/** Splits `text` into lines of at most `max` characters, at spaces. */
export function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur.length > 0 && cur.length + 1 + word.length > max) {
      lines.push(cur);
      cur = word;
    } else cur = cur.length > 0 ? `${cur} ${word}` : word;
  }
  if (cur.length > 0) lines.push(cur);
  return lines;
}

/** Notes wrapped to the chart's width (11 px text, about 6 px a character). */
const wrapNotes = (notes: readonly string[] | undefined, width: number) => (notes ?? []).flatMap((t) => wrap(t, Math.floor((width - 80) / 6)));
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

interface Frame { width: number; height: number; left: number; right: number; top: number; bottom: number }

function open(f: Frame, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}">`,
    `<rect width="${f.width}" height="${f.height}" fill="#ffffff"/>`,
    `<text x="${f.width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold" ${FONT}>${esc(title)}</text>`,
  ];
}

function yAxis(f: Frame, top: number, step: number, label: string, fmt: (v: number) => string): string[] {
  const out: string[] = [];
  const plotH = f.height - f.top - f.bottom;
  for (let v = 0; v <= top + step / 1e6; v += step) {
    const y = n(f.height - f.bottom - (v / top) * plotH);
    out.push(`<line x1="${f.left}" y1="${y}" x2="${f.width - f.right}" y2="${y}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${f.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" ${FONT}>${esc(fmt(v))}</text>`);
  }
  const cy = f.top + plotH / 2;
  out.push(`<text x="16" y="${cy}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${cy})" ${FONT}>${esc(label)}</text>`);
  out.push(`<line x1="${f.left}" y1="${f.height - f.bottom}" x2="${f.width - f.right}" y2="${f.height - f.bottom}" stroke="#333"/>`);
  out.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.height - f.bottom}" stroke="#333"/>`);
  return out;
}

function legend(names: readonly string[], x: number, y: number): string[] {
  return names.flatMap((name, i) => [
    `<rect x="${x}" y="${y + i * 18}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
    `<text x="${x + 18}" y="${y + i * 18 + 10}" font-size="12" ${FONT}>${esc(name)}</text>`,
  ]);
}

export interface BarSeries {
  readonly name: string;
  /** One value per group; null = no bar (not run or failed). */
  readonly values: readonly (number | null)[];
  /** Whisker ends per group (e.g. min and max), optional. */
  readonly lo?: readonly (number | null)[];
  readonly hi?: readonly (number | null)[];
}

export interface BarChart {
  readonly title: string;
  readonly yLabel: string;
  readonly groups: readonly string[];
  readonly series: readonly BarSeries[];
  /** A dashed horizontal reference line (e.g. 1.0 = native). */
  readonly refLine?: { readonly value: number; readonly label: string };
  /** Lines of text under the chart (e.g. what was not run, and why). */
  readonly notes?: readonly string[];
  readonly fmt?: (v: number) => string;
}

export function barChart(c: BarChart): string {
  const longest = Math.max(0, ...c.groups.flatMap((g) => g.split('\n').map((l) => l.length)));
  const groupW = Math.max(90, 26 * c.series.length + 30, 7 * longest + 16);
  const width = Math.max(560, 80 + groupW * c.groups.length + 40);
  const notes = wrapNotes(c.notes, width);
  const f: Frame = { width, height: 0, left: 64, right: 24, top: 40 + 18 * c.series.length + 10, bottom: 50 + 16 * notes.length };
  f.height = f.top + 260 + f.bottom;
  const vals = c.series.flatMap((s) => [...s.values, ...(s.hi ?? [])]).filter((v): v is number => v !== null && Number.isFinite(v));
  const { top, step } = niceScale(Math.max(c.refLine?.value ?? 0, ...vals, 0) * 1.05);
  const fmt = c.fmt ?? ((v: number) => String(+v.toFixed(2)));
  const plotH = f.height - f.top - f.bottom;
  const y = (v: number) => n(f.height - f.bottom - (Math.min(v, top) / top) * plotH);
  const out = open(f, c.title);
  out.push(...legend(c.series.map((s) => s.name), f.left, 36));
  out.push(...yAxis(f, top, step, c.yLabel, fmt));
  const barW = Math.min(24, (groupW - 20) / Math.max(1, c.series.length));
  c.groups.forEach((g, gi) => {
    const gx = f.left + 20 + gi * groupW;
    const cx = n(gx + (barW * c.series.length) / 2);
    const lines = g.split('\n').map((l, i) => `<tspan x="${cx}" dy="${i === 0 ? 0 : 13}">${esc(l)}</tspan>`).join('');
    out.push(`<text x="${cx}" y="${f.height - f.bottom + 16}" text-anchor="middle" font-size="11" ${FONT}>${lines}</text>`);
  });
  c.series.forEach((s, si) => {
    const colour = PALETTE[si % PALETTE.length];
    out.push(`<g class="series" data-series="${esc(s.name)}" fill="${colour}">`);
    s.values.forEach((v, gi) => {
      if (v === null || !Number.isFinite(v)) return;
      const x = n(f.left + 20 + gi * groupW + si * barW);
      out.push(`<rect x="${x}" y="${y(v)}" width="${n(barW - 2)}" height="${n(f.height - f.bottom - y(v))}"><title>${esc(`${s.name}, ${c.groups[gi]}: ${fmt(v)}`)}</title></rect>`);
      const lo = s.lo?.[gi];
      const hi = s.hi?.[gi];
      if (lo != null && hi != null) {
        const cx = n(x + (barW - 2) / 2);
        out.push(`<path d="M${cx} ${y(lo)}V${y(hi)}M${cx - 4} ${y(lo)}h8M${cx - 4} ${y(hi)}h8" stroke="#222" fill="none"/>`);
      }
      out.push(`<text x="${n(x + (barW - 2) / 2)}" y="${y(Math.max(v, hi ?? v)) - 4}" text-anchor="middle" font-size="9" fill="#222" ${FONT}>${esc(fmt(v))}</text>`);
    });
    out.push('</g>');
  });
  if (c.refLine) {
    const ry = y(c.refLine.value);
    out.push(`<line x1="${f.left}" y1="${ry}" x2="${f.width - f.right}" y2="${ry}" stroke="#c00" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${f.width - f.right}" y="${ry - 4}" text-anchor="end" font-size="11" fill="#c00" ${FONT}>${esc(c.refLine.label)}</text>`);
  }
  notes.forEach((t, i) => out.push(`<text x="${f.left}" y="${f.height - 16 * (notes.length - i) + 4}" font-size="11" fill="#555" ${FONT}>${esc(t)}</text>`));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: readonly number[];
  readonly series: readonly { readonly name: string; readonly values: readonly (number | null)[] }[];
  readonly notes?: readonly string[];
}

export function lineChart(c: LineChart): string {
  const notes = wrapNotes(c.notes, 620);
  const f: Frame = { width: 620, height: 0, left: 64, right: 30, top: 40 + 18 * c.series.length + 10, bottom: 56 + 16 * notes.length };
  f.height = f.top + 280 + f.bottom;
  const vals = c.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const { top, step } = niceScale(Math.max(0, ...vals) * 1.05);
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const xs = c.x.map((_, i) => n(f.left + 30 + (c.x.length === 1 ? plotW / 2 - 30 : (i * (plotW - 60)) / (c.x.length - 1))));
  const y = (v: number) => n(f.height - f.bottom - (v / top) * plotH);
  const out = open(f, c.title);
  out.push(...legend(c.series.map((s) => s.name), f.left, 36));
  out.push(...yAxis(f, top, step, c.yLabel, (v) => String(+v.toFixed(2))));
  c.x.forEach((t, i) => out.push(`<text x="${xs[i]}" y="${f.height - f.bottom + 16}" text-anchor="middle" font-size="11" ${FONT}>${t}</text>`));
  out.push(`<text x="${f.left + plotW / 2}" y="${f.height - f.bottom + 34}" text-anchor="middle" font-size="12" ${FONT}>${esc(c.xLabel)}</text>`);
  c.series.forEach((s, si) => {
    const colour = PALETTE[si % PALETTE.length];
    const pts = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : ([xs[i] as number, y(v)] as const))).filter((p) => p !== null);
    out.push(`<g class="series" data-series="${esc(s.name)}" stroke="${colour}" fill="${colour}">`);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke-width="2" points="${pts.map((p) => p.join(',')).join(' ')}"/>`);
    for (const [px, py] of pts) out.push(`<circle cx="${px}" cy="${py}" r="4"/>`);
    out.push('</g>');
  });
  notes.forEach((t, i) => out.push(`<text x="${f.left}" y="${f.height - 16 * (notes.length - i) + 4}" font-size="11" fill="#555" ${FONT}>${esc(t)}</text>`));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
