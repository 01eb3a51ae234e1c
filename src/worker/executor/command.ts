/**
 * Runs a command step: argv templating, no shell unless `shell: true`, a
 * fixed environment, the scratch directory as cwd, stdout/stderr to the
 * instance's logs (or stdout to a scratch file), the process in its own group
 * so cancellation reaches everything it started.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AssignMsg, ExecSpec, ToolCheck, Usage } from '../../protocol/execution.js';
import type { PortValue } from '../../workflow/model.js';
import { collectCommandOutputs, type Keeper } from './outputs.js';
import { measureGroup, type Measurement } from './measure.js';
import { expandArgv, expandString, type TemplateScope } from './template.js';
import { prepareProgram } from './tools.js';

export type RunOutcome =
  | { readonly ok: true; readonly outputs: Record<string, PortValue>; readonly exitStatus: number | null; readonly tools?: readonly ToolCheck[]; readonly usage?: Usage }
  | { readonly ok: false; readonly message: string; readonly exitStatus: number | null; readonly signal: string | null; readonly stderrTail?: string; readonly tools?: readonly ToolCheck[]; readonly usage?: Usage };

/** The attempt's private directory for verified tool copies (docs/protocol.md §10.3), beside scratch; removed with it. */
export function toolsDirOf(scratchDir: string): string {
  return `${scratchDir}.tools`;
}

/** Process groups of the commands running now (each command leads its own group). */
export const liveGroups = new Set<number>();

/** SIGKILLs every running command's group: the executor's last act when it exits for any reason it can observe. */
export function killAllGroups(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveGroups.clear();
}

/** Grace period between SIGTERM and SIGKILL on cancellation. */
const KILL_GRACE_MS = 2000;

export async function runCommand(
  msg: AssignMsg,
  exec: Extract<ExecSpec, { kind: 'command' }>,
  io: { pathEnv: string; errLog: string; outLog: string; signal: AbortSignal; keeper: Keeper; onStarted: (pgid: number) => void },
): Promise<RunOutcome> {
  const scope: TemplateScope = msg.memory === undefined ? { inputs: msg.inputs, threads: msg.threads } : { inputs: msg.inputs, threads: msg.threads, memory: msg.memory };
  const argv = expandArgv(exec.argv, scope, exec.shell);
  const program = argv[0];
  if (program === undefined || program === '') return { ok: false, message: 'the command expanded to an empty argv', exitStatus: null, signal: null };
  // §10.3: the fixed PATH (encrypted runs, or `path:`), and the pinned tools checked before anything runs.
  const pathEnv = exec.path ?? io.pathEnv;
  const prepared = await prepareProgram(msg.label, program, exec, pathEnv, msg.scratchDir, toolsDirOf(msg.scratchDir));
  const tools = prepared.checks.length > 0 ? { tools: prepared.checks } : {};
  if (!prepared.ok) return { ok: false, message: prepared.message, exitStatus: null, signal: null, stderrTail: '', ...tools };
  if (io.signal.aborted) return { ok: false, message: 'cancelled before it started', exitStatus: null, signal: null, stderrTail: '', ...tools };
  const env: Record<string, string> = {
    PATH: pathEnv,
    HOME: msg.scratchDir,
    TMPDIR: msg.scratchDir,
    LANG: 'C.UTF-8',
    SEALFLOW_THREADS: String(msg.threads),
    OMP_NUM_THREADS: String(msg.threads),
  };
  for (const [k, v] of Object.entries(exec.env)) env[k] = expandString(v, scope);

  const outFd = fs.openSync(exec.stdout ? path.join(msg.scratchDir, exec.stdout) : io.outLog, 'w');
  const errFd = fs.openSync(io.errLog, 'w');
  let child;
  try {
    child = spawn(prepared.file, argv.slice(1), { argv0: program, cwd: msg.scratchDir, env, stdio: ['ignore', outFd, errFd], detached: true });
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
  }
  const pgid = child.pid;
  let measurement: Measurement | undefined;
  if (pgid !== undefined) {
    liveGroups.add(pgid);
    measurement = measureGroup(pgid); // docs/report.md "Resource usage"
    io.onStarted(pgid);
  }
  let usage: Usage | undefined;
  const result = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      killTimer = setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, KILL_GRACE_MS);
    };
    io.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      measurement?.stop();
      resolve({ code: null, signal: null, error });
    });
    child.on('exit', (code, signal) => {
      if (pgid !== undefined) liveGroups.delete(pgid);
      usage = measurement?.stop();
      io.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal });
    });
  });
  if (result.error) {
    const e = result.error as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? `command not found on PATH: ${program}` : `could not start ${program}: ${e.message}`;
    return { ok: false, message: why, exitStatus: null, signal: null, stderrTail: '', ...tools };
  }
  if (result.code !== 0) {
    const message = result.signal ? `${program} was killed by signal ${result.signal}` : `${program} exited with status ${result.code}`;
    return { ok: false, message, exitStatus: result.code, signal: result.signal, ...tools, ...(usage ? { usage } : {}) };
  }
  return { ok: true, outputs: collectCommandOutputs(msg, exec.globs, scope, io.keeper), exitStatus: 0, ...tools, ...(usage ? { usage } : {}) };
}
