/**
 * Runs a TypeScript task step inside the executor process (never on the
 * master's event loop). The run's tasks are bundled into one ESM file; each
 * executor imports it once and looks up the step's export.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AssignMsg, ExecSpec } from '../../protocol/execution.js';
import type { PortValue } from '../../workflow/model.js';
import { isTaskDefinition, type TaskContext, type TaskDefinition } from '../../task.js';
import { measureSelf } from './measure.js';
import { convertTaskOutputs, type Keeper } from './outputs.js';
import type { RunOutcome } from './command.js';

const bundles = new Map<string, Promise<Record<string, unknown>>>();

function loadBundle(file: string): Promise<Record<string, unknown>> {
  let p = bundles.get(file);
  if (!p) {
    p = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>;
    bundles.set(file, p);
  }
  return p;
}

/** Files and directories reach a task as absolute paths; everything else as it is. */
function toTaskValue(v: PortValue): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return (v as readonly PortValue[]).map(toTaskValue);
  const o = v as { class?: unknown; path?: unknown };
  if ((o.class === 'File' || o.class === 'Directory') && typeof o.path === 'string') return o.path;
  return v;
}

function errorTail(e: unknown): string {
  if (e instanceof Error && e.stack) return e.stack.split('\n').slice(0, 12).join('\n');
  return String(e);
}

export async function runTask(
  msg: AssignMsg,
  exec: Extract<ExecSpec, { kind: 'task' }>,
  io: { errLog: string; signal: AbortSignal; keeper: Keeper },
): Promise<RunOutcome> {
  const mod = await loadBundle(exec.bundle);
  const def = mod[exec.export];
  if (!isTaskDefinition(def))
    return { ok: false, message: `task ${exec.name} is not a defineTask(...) value`, exitStatus: null, signal: null, stderrTail: '' };
  const logFd = fs.openSync(io.errLog, 'w');
  const ctx: TaskContext = {
    stepId: msg.label,
    threads: msg.threads,
    scratchDir: msg.scratchDir,
    path: (name: string) => path.join(msg.scratchDir, name),
    log: (message: string) => fs.writeSync(logFd, message.endsWith('\n') ? message : `${message}\n`),
    signal: io.signal,
  };
  const inputs: Record<string, unknown> = Object.fromEntries(Object.entries(msg.inputs).map(([k, v]) => [k, toTaskValue(v)]));
  // A declared input the step does not wire (only optional ones pass validation) arrives as null, never undefined.
  for (const k of Object.keys((def as TaskDefinition).inputs)) if (inputs[k] === undefined) inputs[k] = null;
  const measurement = measureSelf(); // docs/report.md "Resource usage": shared by the tasks running at the same time
  try {
    const returned = await (def as TaskDefinition).run(inputs as never, ctx);
    const usage = measurement.stop();
    return { ok: true, outputs: convertTaskOutputs(msg, returned, io.keeper), exitStatus: null, ...(usage ? { usage } : {}) };
  } catch (e) {
    const usage = measurement.stop();
    const message = `task ${exec.name} failed: ${e instanceof Error ? e.message : String(e)}`;
    fs.writeSync(logFd, `${errorTail(e)}\n`);
    return { ok: false, message, exitStatus: null, signal: null, stderrTail: errorTail(e), ...(usage ? { usage } : {}) };
  } finally {
    fs.closeSync(logFd);
  }
}
