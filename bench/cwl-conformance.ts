/**
 * `npm run conformance`: the CWL v1.2 conformance suite through the real
 * `cwltest`, driving `sealflow-cwl-runner`, once per mode, with `--badgedir`
 * per mode; then a summary (per tag: passed / failed / unsupported, and every
 * failure with its reason) written into docs/cwl-conformance.md.
 *
 *   npm run conformance [-- --suite DIR] [--cwltest DIR] [-j N] [--tags T] [--modes plain]
 *
 * The suite and cwltest's source default to the shared folder
 * (shared/cwl-v1.2, shared/tools/cwltest); cwltest runs on Debian's
 * /usr/bin/python3 (python3-schema-salad, -junit.xml, -defusedxml).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../test/helpers/cli.js';
import { SHARED } from '../test/helpers/shared.js';

interface Mode {
  readonly name: string;
  /** Extra runner arguments, passed to cwltest after `--`. */
  readonly args: readonly string[];
  readonly note: string;
}

export const MODES: Readonly<Record<string, Mode>> = {
  plain: { name: 'plain', args: ['--platform', 'none', '--no-encrypt'], note: 'tools on this machine from PATH, no TEE, no encryption; every expression in the sandbox' },
  sim: {
    name: 'sim',
    args: [],
    note: "the runner's default: through the engine on attested `sim` workers (NOT a TEE), every input admitted as an age file, per-step key release, outputs sealed to the owner, then checked against the signed receipt and decrypted into --outdir; keys in a fresh SEALFLOW_HOME and state directory",
  },
};

export interface ModeResult {
  readonly mode: string;
  readonly command: string;
  readonly seconds: number;
  /** Per tag: test ids. */
  readonly tags: Record<string, { passed: string[]; failed: string[]; unsupported: string[] }>;
  /** Failed or unsupported test id → reason (the runner's last error line, or cwltest's). */
  readonly reasons: Record<string, string>;
}

function listSection(md: string, title: string): string[] {
  const at = md.indexOf(`## List of ${title} tests`);
  if (at < 0) return [];
  const rest = md.slice(at).split('\n').slice(1);
  const ids: string[] = [];
  for (const line of rest) {
    if (line.startsWith('## ')) break;
    const m = /^- \[([^\]]+)\]/.exec(line);
    if (m) ids.push(m[1]!);
  }
  return ids;
}

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#10;/g, '\n').replace(/&amp;/g, '&');
}

/** id → reason, from cwltest's JUnit report. */
function reasonsOf(junit: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of junit.matchAll(/<testcase\b([^>]*)>([\s\S]*?)<\/testcase>/g)) {
    const id = /\bfile="([^"]*)"/.exec(m[1]!)?.[1];
    const body = m[2]!;
    if (!id || !/<(failure|skipped)\b/.test(body)) continue;
    const err = unescapeXml(/<system-err>([\s\S]*?)<\/system-err>/.exec(body)?.[1] ?? '');
    const ours = err.split('\n').filter((l) => l.startsWith('sealflow-cwl-runner:')).pop();
    const msg = unescapeXml(/<(?:failure|skipped)\b[^>]*message="([^"]*)"/.exec(body)?.[1] ?? /<failure\b[^>]*>([\s\S]*?)<\/failure>/.exec(body)?.[1] ?? '');
    const firstLine = (s: string) => s.split('\n').find((l) => l.trim() !== '') ?? '';
    const causes = msg.split('\n').filter((l) => l.startsWith('caused by'));
    const compare = causes.length > 0 ? `output differs: ${causes[causes.length - 1]!.replace(/^caused by: /, '')}` : undefined;
    out[id] = (ours ?? compare ?? (/^expected:/.test(msg.trim()) ? 'output differs from the expected output' : firstLine(msg))).slice(0, 300);
  }
  return out;
}

export function runMode(mode: Mode, o: { suite: string; cwltest: string; jobs: number; tags?: string; work: string }): ModeResult {
  const badges = path.join(o.work, `badges-${mode.name}`);
  const junit = path.join(o.work, `junit-${mode.name}.xml`);
  fs.rmSync(badges, { recursive: true, force: true });
  const runner = path.join(REPO, 'scripts', 'sealflow-cwl-runner');
  const args = ['-m', 'cwltest', '--test', 'conformance_tests.yaml', '--tool', runner, '-j', String(o.jobs), '--badgedir', badges, '--junit-xml', junit, ...(o.tags ? ['--tags', o.tags] : []), '--', ...mode.args];
  // The sim mode's keys (local master, owner identity) and runs live in fresh directories of this invocation.
  const home = path.join(o.work, `home-${mode.name}`);
  const state = path.join(o.work, `state-${mode.name}`);
  if (mode.name === 'sim') args.push('--state-dir', state);
  const command = `${mode.name === 'sim' ? `SEALFLOW_HOME=${home} ` : ''}PYTHONPATH=${o.cwltest}/src /usr/bin/python3 ${args.join(' ')}   (in ${o.suite})`;
  const t0 = performance.now();
  const env = { ...process.env, PYTHONPATH: path.join(o.cwltest, 'src'), ...(mode.name === 'sim' ? { SEALFLOW_HOME: home } : {}) };
  const r = spawnSync('/usr/bin/python3', args, { cwd: o.suite, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  const seconds = Math.round((performance.now() - t0) / 1000);
  if (!fs.existsSync(badges)) throw new Error(`cwltest wrote no badges (exit ${r.status}): ${String(r.stderr).slice(-2000)}`);
  return resultFromFiles(mode.name, badges, junit, command, seconds);
}

/** A mode's result from cwltest's badge directory and JUnit report. */
export function resultFromFiles(mode: string, badges: string, junit: string, command: string, seconds: number): ModeResult {
  const tags: ModeResult['tags'] = {};
  for (const f of fs.readdirSync(badges).filter((n) => n.endsWith('.md'))) {
    const md = fs.readFileSync(path.join(badges, f), 'utf8');
    tags[f.slice(0, -3)] = { passed: listSection(md, 'passed'), failed: listSection(md, 'failed'), unsupported: listSection(md, 'unsupported') };
  }
  return { mode, command, seconds, tags, reasons: fs.existsSync(junit) ? reasonsOf(fs.readFileSync(junit, 'utf8')) : {} };
}

export function summary(results: readonly ModeResult[], total: number, date: string): string {
  const lines: string[] = [
    '# CWL v1.2 conformance',
    '',
    `The official conformance suite (${total} tests) run with the real \`cwltest\` driving \`sealflow-cwl-runner\`, written by \`npm run conformance\` on ${date}.`,
    'Exit 33 (unsupported) counts as not passed. Every test that did not pass is listed with its reason.',
    '',
  ];
  for (const r of results) {
    const mode = MODES[r.mode]!;
    const all = r.tags['all'];
    lines.push(`## Mode: ${r.mode}`, '', `${mode.note}.`, '', `Command (${r.seconds} s on ${os.availableParallelism()} cores):`, '', '```', r.command, '```', '');
    if (all) lines.push(`**${all.passed.length} of ${all.passed.length + all.failed.length + all.unsupported.length} passed** (${all.failed.length} failed, ${all.unsupported.length} unsupported).`, '');
    lines.push('| tag | passed | failed | unsupported | total |', '|---|---:|---:|---:|---:|');
    for (const [tag, t] of Object.entries(r.tags).sort(([a], [b]) => (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)))) {
      const n = t.passed.length + t.failed.length + t.unsupported.length;
      lines.push(`| ${tag} | ${t.passed.length} (${Math.floor((100 * t.passed.length) / n)} %) | ${t.failed.length} | ${t.unsupported.length} | ${n} |`);
    }
    const not = all ? [...all.failed.map((id) => [id, 'failed'] as const), ...all.unsupported.map((id) => [id, 'unsupported'] as const)] : [];
    lines.push('', `### Not passed (${not.length})`, '', '| test | result | reason |', '|---|---|---|');
    // cwltest writes no failure text for a should_fail test that exited 0.
    const why = (id: string) => r.reasons[id] ?? 'exited 0 where the test expects a failure (should_fail)';
    for (const [id, kind] of not.sort()) lines.push(`| \`${id}\` | ${kind} | ${why(id).replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

function main(argv: readonly string[]): number {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const suite = path.resolve(get('--suite') ?? path.join(SHARED, 'cwl-v1.2'));
  const cwltest = path.resolve(get('--cwltest') ?? path.join(SHARED, 'tools', 'cwltest'));
  const jobs = Number(get('-j') ?? 2);
  const tags = get('--tags');
  const modes = (get('--modes') ?? Object.keys(MODES).join(',')).split(',');
  for (const m of modes) if (!MODES[m]) throw new Error(`unknown mode ${m}; modes: ${Object.keys(MODES).join(', ')}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conformance-'));
  // --reuse plain=DIR: take a mode's figures from an earlier invocation's work directory instead of running it again.
  const reuse = new Map((get('--reuse') ?? '').split(',').filter(Boolean).map((x) => x.split('=') as [string, string]));
  const results = modes.map((m) => {
    const dir = reuse.get(m);
    if (dir !== undefined) {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, `meta-${m}.json`), 'utf8')) as { command: string; seconds: number };
      return resultFromFiles(m, path.join(dir, `badges-${m}`), path.join(dir, `junit-${m}.xml`), meta.command, meta.seconds);
    }
    process.stderr.write(`conformance: mode ${m} …\n`);
    const r = runMode(MODES[m]!, { suite, cwltest, jobs, work, ...(tags !== undefined ? { tags } : {}) });
    fs.writeFileSync(path.join(work, `meta-${m}.json`), JSON.stringify({ command: r.command, seconds: r.seconds }));
    const all = r.tags['all'];
    process.stderr.write(`conformance: mode ${m}: ${all?.passed.length ?? 0} passed, ${all?.failed.length ?? 0} failed, ${all?.unsupported.length ?? 0} unsupported, ${r.seconds} s; badges in ${work}/badges-${m}\n`);
    return r;
  });
  const out = path.join(REPO, 'docs', 'cwl-conformance.md');
  const all = results[0]?.tags['all'];
  const total = all ? all.passed.length + all.failed.length + all.unsupported.length : 0;
  fs.writeFileSync(out, `${summary(results, total, new Date().toISOString().slice(0, 10))}\n`);
  process.stderr.write(`conformance: wrote ${out}\n`);
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) process.exitCode = main(process.argv.slice(2));
