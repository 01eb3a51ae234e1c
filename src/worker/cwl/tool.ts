/**
 * Runs one CommandLineTool or ExpressionTool in the worker (docs/workflow-
 * format.md "CWL"): the job's inputs checked and completed, expressions in
 * the sandbox, the command line built here (never on the master), the
 * process started from the fixed PATH in a fresh output directory with
 * CWL's environment, `NetworkAccess: false` enforced with a new network
 * namespace (`unshare --map-current-user --net`) where the host allows it, ToolTimeLimit, exit
 * codes, then the outputs collected.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CwlProcess } from '../../workflow/cwl/model.js';
import { evaluate, type Evaluator } from '../../workflow/cwl/expr/evaluate.js';
import { buildArguments, shellQuote } from './cmdline.js';
import { collectOutputs } from './collect.js';
import type { Reqs } from './requirements.js';
import { containerNames, repoint, stageInitialWorkDir, stageRenamed } from './stage.js';
import { CwlRunError, fillInputs, isObj, pathOf, type Obj } from './values.js';

export interface ToolRunOptions {
  /** Directory under which the tool's output and temporary directories are made. */
  readonly workDir: string;
  /** PATH the tool runs with. */
  readonly pathEnv: string;
  /** Messages about what ran (stderr of the runner unless quiet). */
  readonly log: (line: string) => void;
}

let unshareWorks: boolean | undefined;
/** A new network namespace: root needs no user namespace (and one would break tools that chown, such as tar). */
const NETNS = process.getuid?.() === 0 ? ['--net'] : ['--map-current-user', '--net'];
/** Whether `unshare --map-current-user --net` (a user and network namespace) works here; checked once. */
export function canIsolateNetwork(): boolean {
  unshareWorks ??= spawnSync('unshare', [...NETNS, 'true'], { stdio: 'ignore' }).status === 0;
  return unshareWorks;
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function runtimeOf(reqs: Reqs, inputs: Obj, ev: Evaluator, outdir: string, tmpdir: string): Obj {
  const r = reqs.get('ResourceRequirement');
  const get = (k: string): unknown => (r && r[k] !== undefined ? evaluate(r[k], { inputs }, ev) : undefined);
  const coresMin = get('coresMin');
  const coresMax = get('coresMax');
  const cores = Math.ceil(num(coresMin, Math.min(1, num(coresMax, 1))));
  const ram = Math.ceil(num(get('ramMin'), Math.min(256, num(get('ramMax'), 256))));
  return { outdir, tmpdir, cores, ram, outdirSize: Math.ceil(num(get('outdirMin'), 1024)), tmpdirSize: Math.ceil(num(get('tmpdirMin'), 1024)) };
}

function fresh(root: string, prefix: string): string {
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, prefix));
}

/** Paths of every File/Directory in `v` (a step's inputs may be linked from its outputs). */
function pathsIn(v: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => pathsIn(x, into));
  else if (isObj(v)) {
    if ((v.class === 'File' || v.class === 'Directory') && pathOf(v) !== '') into.add(fs.existsSync(pathOf(v)) ? fs.realpathSync(pathOf(v)) : pathOf(v));
    Object.values(v).forEach((x) => pathsIn(x, into));
  }
  return into;
}

/** Writes File literals (`contents` without a path) to disk so that tools can read them. */
function materialise(v: unknown, dir: string): unknown {
  if (Array.isArray(v)) return v.map((x) => materialise(x, dir));
  if (!isObj(v)) return v;
  if (v.class === 'File' && pathOf(v) === '' && typeof v.contents === 'string') {
    const d = fresh(dir, 'lit-');
    const p = path.join(d, String(v.basename ?? 'literal'));
    fs.writeFileSync(p, v.contents);
    return { ...v, path: p, location: `file://${p}`, basename: path.basename(p) };
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialise(x, dir)]));
}

/** `top`: the job comes from the user (secondary files are found beside their primaries); inside a workflow they must already be attached. */
/**
 * Tools running at once in this process: at most one per core. A scatter of a thousand instances must not start a
 * thousand processes, and must leave the executor's event loop free for its heartbeats.
 */
const slots = { free: os.availableParallelism(), waiting: [] as (() => void)[] };
async function acquire(): Promise<void> {
  if (slots.free > 0) {
    slots.free--;
    return;
  }
  await new Promise<void>((resolve) => slots.waiting.push(resolve));
}
function release(): void {
  const next = slots.waiting.shift();
  if (next) next();
  else slots.free++;
}

export async function runTool(tool: CwlProcess, job: Obj, reqs: Reqs, opts: ToolRunOptions, top = true): Promise<Obj> {
  await acquire();
  try {
    return await runToolNow(tool, job, reqs, opts, top);
  } finally {
    release();
  }
}

async function runToolNow(tool: CwlProcess, job: Obj, reqs: Reqs, opts: ToolRunOptions, top: boolean): Promise<Obj> {
  reqs.check(tool);
  const where = tool.at;
  const ev = await reqs.evaluator();
  try {
    const listing = reqs.get('LoadListingRequirement')?.loadListing as string | undefined;
    let inputs = fillInputs(tool.inputs, materialise(job, opts.workDir) as Obj, ev, where, listing ?? (tool.cwlVersion === 'v1.0' ? 'deep_listing' : undefined), top);
    if (tool.class === 'ExpressionTool') {
      const r = evaluate(tool.expression, { inputs, runtime: runtimeOf(reqs, inputs, ev, opts.workDir, opts.workDir) }, ev);
      if (!isObj(r)) throw new CwlRunError(`${where}: the expression must return an object of outputs, got ${JSON.stringify(r)?.slice(0, 80)}`);
      const out: Obj = {};
      for (const p of tool.outputs) out[p.id] = r[p.id] ?? null;
      return out;
    }
    const outdir = fresh(opts.workDir, 'out-');
    const tmpdir = fresh(opts.workDir, 'tmp-');
    const runtime = runtimeOf(reqs, inputs, ev, outdir, tmpdir);
    inputs = stageRenamed(inputs, opts.workDir) as Obj;
    const iwd = reqs.get('InitialWorkDirRequirement');
    containerNames.required = reqs.list.some((r) => r.class === 'DockerRequirement');
    if (iwd) {
      const inplace = reqs.get('InplaceUpdateRequirement')?.inplaceUpdate === true;
      const moved = stageInitialWorkDir(iwd.listing, inputs, runtime, ev, outdir, where, inplace);
      inputs = repoint(inputs, moved) as Obj;
    }
    const env: Record<string, string> = { PATH: opts.pathEnv, HOME: outdir, TMPDIR: tmpdir, LANG: 'C.UTF-8' };
    const envReq = reqs.get('EnvVarRequirement');
    if (envReq) {
      const defs = Array.isArray(envReq.envDef) ? (envReq.envDef as Obj[]).map((d) => [String(d.envName), d.envValue] as const) : Object.entries((envReq.envDef as Obj) ?? {});
      for (const [k, v] of defs) env[k] = String(evaluate(v, { inputs, runtime }, ev));
    }
    const words = buildArguments(tool, inputs, runtime, ev);
    const base = tool.baseCommand ?? [];
    let argv: string[];
    if (reqs.get('ShellCommandRequirement')) {
      const line = [...base.map(shellQuote), ...words.map((w) => (w.quote ? shellQuote(w.text) : w.text))].join(' ');
      argv = ['/bin/sh', '-c', line];
    } else argv = [...base, ...words.map((w) => w.text)];
    if (argv.length === 0) throw new CwlRunError(`${where}: the command line is empty; give a baseCommand or arguments`);
    const name = (v: unknown, what: string): string | undefined => {
      if (v === undefined) return undefined;
      const s = evaluate(v, { inputs, runtime }, ev);
      if (typeof s !== 'string' || s === '' || s.includes('/') && path.relative(outdir, path.resolve(outdir, s)).startsWith('..')) throw new CwlRunError(`${where}: ${what} must be a file name inside the output directory`);
      return s;
    };
    const stdoutName = name(tool.stdout, 'stdout');
    const stderrName = name(tool.stderr, 'stderr');
    const stdinPath = tool.stdin !== undefined ? evaluate(tool.stdin, { inputs, runtime }, ev) : undefined;
    const stdinFile = isObj(stdinPath) ? pathOf(stdinPath) : typeof stdinPath === 'string' ? stdinPath : undefined;
    const net = reqs.get('NetworkAccess');
    const networkAllowed = net ? Boolean(evaluate(net.networkAccess, { inputs, runtime }, ev)) : false;
    const limit = reqs.get('ToolTimeLimit');
    const seconds = limit ? num(evaluate(limit.timelimit, { inputs, runtime }, ev), 0) : 0;
    if (seconds < 0) throw new CwlRunError(`${where}: ToolTimeLimit must not be negative`);
    const isolate = !networkAllowed && canIsolateNetwork();
    const full = isolate ? ['unshare', ...NETNS, '--', ...argv] : argv;
    opts.log(`[${path.basename(tool.file)}] ${argv.map(shellQuote).join(' ')}`);
    const code = await new Promise<number>((resolve, reject) => {
      const stdin = stdinFile !== undefined ? fs.openSync(stdinFile, 'r') : 'ignore';
      const out = stdoutName !== undefined ? fs.openSync(path.join(outdir, stdoutName), 'w') : 'inherit';
      const err = stderrName !== undefined ? fs.openSync(path.join(outdir, stderrName), 'w') : 'inherit';
      const child = spawn(full[0]!, full.slice(1), { cwd: outdir, env, stdio: [stdin, out === 'inherit' ? process.stderr : out, err === 'inherit' ? process.stderr : err], detached: true });
      for (const fd of [stdin, out, err]) if (typeof fd === 'number') fs.closeSync(fd);
      let timer: NodeJS.Timeout | undefined;
      if (seconds > 0) timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), seconds * 1000);
      child.on('error', (e) => reject(new CwlRunError(`${where}: could not start ${argv[0]}: ${e.message}`)));
      child.on('exit', (c, sig) => {
        if (timer) clearTimeout(timer);
        if (sig) resolve(seconds > 0 && sig === 'SIGKILL' ? -2 : -1);
        else resolve(c ?? -1);
      });
    });
    if (code === -2) throw new CwlRunError(`${where}: ${argv[0]} ran longer than ToolTimeLimit (${seconds} s)`);
    const success = tool.successCodes ?? [0];
    if (!success.includes(code) || (tool.permanentFailCodes ?? []).includes(code) || (tool.temporaryFailCodes ?? []).includes(code)) {
      throw new CwlRunError(`${where}: ${argv[0]} exited with status ${code}`);
    }
    const allowed = pathsIn(inputs, new Set());
    return collectOutputs(tool.outputs, inputs, { ...runtime, exitCode: code }, ev, outdir, allowed, where, listing);
  } finally {
    ev.dispose();
  }
}

export const defaultWorkRoot = (): string => path.join(os.tmpdir(), 'sealflow-cwl');
