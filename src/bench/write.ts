/** Writes one invocation's results: <out>/<stamp>.json (raw), .md, SVG charts; and links them from RESULTS.md. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { overheadChart, scalingCharts } from './charts.js';
import { markdownReport } from './report.js';
import type { BenchResults } from './results.js';

export interface Written { json: string; markdown: string; svgs: string[]; resultsMd: string | null }

export const stamp = (iso: string) => iso.slice(0, 19).replace(/[-:]/g, '').replace('T', '-');

const BEGIN = '<!-- sealflow bench: latest (rewritten by `sealflow bench --record`) -->';
/** How every version of the opening marker starts (it used to say "rewritten by `sealflow bench`"). */
const BEGIN_PREFIX = '<!-- sealflow bench: latest';
const END = '<!-- /sealflow bench: latest -->';
const SECTION = '## Seed workflows';

/** Replaces (or adds) the marked block in the `## Seed workflows` section of `file`, keeping everything else. */
export function linkLatest(text: string, block: string): string {
  const marked = `${BEGIN}\n${block.trimEnd()}\n${END}`;
  const a = text.indexOf(BEGIN_PREFIX);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) return text.slice(0, a) + marked + text.slice(b + END.length);
  const s = text.indexOf(`${SECTION}\n`);
  if (s >= 0) {
    const after = s + SECTION.length + 1;
    return `${text.slice(0, after)}\n${marked}\n${text.slice(after)}`;
  }
  return `${text.trimEnd()}\n\n${SECTION}\n\n${marked}\n`;
}

export async function writeResults(results: BenchResults, outDir: string, resultsMd: string | null): Promise<Written> {
  await mkdir(outDir, { recursive: true });
  const base = stamp(results.startedAt);
  const json = path.join(outDir, `${base}.json`);
  await writeFile(json, `${JSON.stringify(results, null, 1)}\n`);
  const overhead = `${base}-overhead.svg`;
  await writeFile(path.join(outDir, overhead), overheadChart(results));
  const scaling = scalingCharts(results).map((c) => ({ size: c.size, file: `${base}-scaling-${c.size}.svg`, svg: c.svg }));
  for (const c of scaling) await writeFile(path.join(outDir, c.file), c.svg);
  const md = markdownReport(results, { overhead, scaling });
  const markdown = path.join(outDir, `${base}.md`);
  await writeFile(markdown, md);
  let linked: string | null = null;
  if (resultsMd !== null && existsSync(resultsMd)) {
    const rel = (f: string) => path.relative(path.dirname(resultsMd), path.join(outDir, f)).split(path.sep).join('/');
    const block = [
      `Latest: \`${results.command}\` at ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC — [report](${rel(`${base}.md`)}), [raw JSON](${rel(`${base}.json`)}), ` +
        `[overhead chart](${rel(overhead)})${scaling.map((c) => `, [thread scaling ${c.size}](${rel(c.file)})`).join('')}.`,
    ].join('\n');
    await writeFile(resultsMd, linkLatest(await readFile(resultsMd, 'utf8'), block));
    linked = resultsMd;
  }
  return { json, markdown, svgs: [overhead, ...scaling.map((c) => c.file)].map((f) => path.join(outDir, f)), resultsMd: linked };
}
