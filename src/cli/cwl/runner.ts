#!/usr/bin/env node
/**
 * `sealflow-cwl-runner`: the CWL runner conventions (what `cwltest` and
 * users who call `cwl-runner` expect): `sealflow-cwl-runner [--outdir DIR]
 * [--quiet] TOOL.cwl [JOB.yml]`; the output object as JSON on stdout; exit 0
 * on success, 33 when the document needs a requirement sealflow does not
 * support, 1 when the run failed, 2 when the document or job is invalid.
 *
 * Two modes (docs/workflow-format.md "CWL"): the default runs the process
 * through the engine on attested `sim` workers with every file encrypted,
 * then checks the outputs against the receipt and decrypts them into
 * `--outdir` (sealed.ts); `--platform none --no-encrypt` runs the same
 * worker code here, on this trusted machine. Tools run from PATH, like
 * `cwltool --no-container`; every expression runs in the WebAssembly sandbox.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, OperationError } from '../../errors.js';
import { loadCwl } from '../../workflow/cwl/load/normalize.js';
import { SUPPORTED_REQUIREMENTS, UnsupportedRequirementError, type CwlRequirement } from '../../workflow/cwl/model.js';
import { ExpressionError } from '../../workflow/cwl/expr/sandbox.js';
import { Reqs } from '../../worker/cwl/requirements.js';
import { CwlRunError } from '../../worker/cwl/values.js';
import { runProcess } from '../../worker/cwl/workflow.js';
import { readJob } from './job.js';
import { publishOutputs } from './outputs.js';
import { runCwlThroughEngine } from './sealed.js';

export const EXIT_UNSUPPORTED = 33;

export interface RunnerArgs {
  readonly outdir: string;
  readonly quiet: boolean;
  readonly tool: string;
  readonly job?: string;
  readonly platform: string;
  readonly encrypt: boolean;
  readonly tmpPrefix?: string;
  readonly stateDir?: string;
}

const USAGE = 'usage: sealflow-cwl-runner [--outdir DIR] [--quiet] [--platform sim|none] [--no-encrypt] [--state-dir DIR] TOOL.cwl [JOB.yml]';

export function parseArgs(argv: readonly string[]): RunnerArgs | string {
  let outdir = process.cwd();
  let quiet = false;
  let platform = 'sim';
  let encrypt = true;
  let tmpPrefix: string | undefined;
  let stateDir: string | undefined;
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new InputError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--outdir') outdir = value();
    else if (flag === '--quiet') quiet = true;
    else if (flag === '--platform') platform = value();
    else if (flag === '--no-encrypt') encrypt = false;
    else if (flag === '--state-dir') stateDir = value();
    else if (flag === '--tmp-outdir-prefix' || flag === '--tmpdir-prefix') tmpPrefix = value();
    else if (flag === '--help' || flag === '-h') return USAGE;
    else if (flag === '--version') return 'sealflow-cwl-runner 0.1.0 (CWL v1.2)';
    else if (a.startsWith('--')) throw new InputError(`unknown option ${flag}\n${USAGE}`);
    else pos.push(a);
  }
  if (pos.length < 1 || pos.length > 2) throw new InputError(`give a CWL document and at most one job file\n${USAGE}`);
  if (platform !== 'none' && platform !== 'sim') throw new InputError(`--platform ${platform}: sealflow-cwl-runner runs on none or sim`);
  if (!encrypt && platform !== 'none') throw new InputError('--no-encrypt needs --platform none (an attested run is always encrypted)');
  return { outdir: path.resolve(outdir), quiet, tool: pos[0]!, ...(pos[1] !== undefined ? { job: pos[1] } : {}), platform, encrypt, ...(tmpPrefix !== undefined ? { tmpPrefix } : {}), ...(stateDir !== undefined ? { stateDir } : {}) };
}

export async function runCwl(args: RunnerArgs, log: (s: string) => void): Promise<unknown> {
  const proc = loadCwl(args.tool);
  const job = readJob(args.job);
  const work = fs.mkdtempSync(args.tmpPrefix ?? path.join(os.tmpdir(), 'sealflow-cwl-'));
  try {
    // CWL v1.2 § "Requirements and hints": the job order may carry requirements under `cwl:requirements`.
    const fromJob = job['cwl:requirements'];
    delete job['cwl:requirements'];
    const jobReqs = Array.isArray(fromJob) ? (fromJob as CwlRequirement[]) : [];
    for (const r of jobReqs) if (!SUPPORTED_REQUIREMENTS.has(r.class)) throw new UnsupportedRequirementError(`${args.job ?? 'the job order'}: cwl:requirements names ${String(r.class)}, which sealflow does not support; drop it`);
    // They become the top process's last requirements, so they win over its own of the same class (as in cwltool);
    // its steps' own requirements still win over them. In sealed runs they travel to the worker with the process.
    const run = jobReqs.length > 0 ? { ...proc, requirements: [...proc.requirements, ...jobReqs] } : proc;
    // The default: through the engine, attested and encrypted (sealed.ts). Plain: here, on this trusted machine.
    if (args.platform !== 'none' || args.encrypt) {
      return await runCwlThroughEngine(run, job, { platform: args.platform, encrypt: args.encrypt, outdir: args.outdir, log, ...(args.stateDir !== undefined ? { stateDir: args.stateDir } : {}) });
    }
    const out = await runProcess(run, job, new Reqs([], []), { workDir: work, pathEnv: process.env['PATH'] ?? '/usr/bin:/bin', log });
    fs.mkdirSync(args.outdir, { recursive: true });
    return publishOutputs(out, args.outdir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** JSON like JSON.stringify(v, null, 2), but integers past 1e21 written with all their digits (as the document wrote them). */
export function toJson(v: unknown, indent: string): string {
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) >= 1e21) {
    const m = /^(-?)(\d)(?:\.(\d+))?e\+(\d+)$/.exec(String(v));
    if (m) return `${m[1]}${m[2]}${(m[3] ?? '').padEnd(Number(m[4]), '0')}`;
  }
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[\n${v.map((x) => `${indent}  ${toJson(x, `${indent}  `)}`).join(',\n')}\n${indent}]`;
  if (v !== null && typeof v === 'object') {
    const e = Object.entries(v).filter(([, x]) => x !== undefined);
    return e.length === 0 ? '{}' : `{\n${e.map(([k, x]) => `${indent}  ${JSON.stringify(k)}: ${toJson(x, `${indent}  `)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (typeof args === 'string') {
      process.stdout.write(`${args}\n`);
      return 0;
    }
    const log = args.quiet ? () => undefined : (s: string) => process.stderr.write(`${s}\n`);
    const out = await runCwl(args, log);
    await new Promise<void>((resolve) => process.stdout.write(`${toJson(out, '')}\n`, () => resolve()));
    return 0;
  } catch (e) {
    if (e instanceof UnsupportedRequirementError) {
      process.stderr.write(`sealflow-cwl-runner: unsupported: ${e.message}\n`);
      return EXIT_UNSUPPORTED;
    }
    if (e instanceof InputError) {
      process.stderr.write(`sealflow-cwl-runner: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CwlRunError || e instanceof ExpressionError || e instanceof OperationError) {
      process.stderr.write(`sealflow-cwl-runner: failed: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`sealflow-cwl-runner: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
