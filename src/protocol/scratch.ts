/**
 * Where an encrypted run's workers keep plaintext (docs/protocol.md §10.8):
 * the attempt's working directory, its decrypted inputs and the worker's
 * decrypted task code live outside the run directory, on a RAM-backed file
 * system where one is available, in one directory per worker process:
 *
 * ```
 * <base>/sealflow-scratch-<uid>/<run-id>/<worker-pid>/      0700, one per worker process
 *   owner.json                                               pid + process start time (reuse check)
 *   code/                                                    decrypted task bundles
 *   <step>.<index>.<attempt>/  <step>.<index>.<attempt>.in/  an attempt's scratch and decrypted inputs
 * ```
 *
 * `<base>` is `$SEALFLOW_SCRATCH_DIR` if set, else `/dev/shm` (Linux, if
 * writable), else `$XDG_RUNTIME_DIR`, else the OS temporary directory. The
 * master chooses it and names `<base>/…/<run-id>/<step>.<index>.<attempt>`
 * as an attempt's `scratchDir`; a worker puts its own pid between the last
 * two parts. Whoever finds a worker directory whose process is gone (pid
 * not alive, or alive with another start time: reused) removes it
 * (engine/scratch-sweep.ts). Built-ins only: the worker uses this too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What kind of memory a scratch base is, for the line the run prints. */
export type ScratchKind =
  /** a tmpfs (`/dev/shm`, a runtime dir): RAM, unless the host swaps it out */
  | 'ram'
  /** the OS temporary directory: possibly plain disk */
  | 'disk'
  /** set by `SEALFLOW_SCRATCH_DIR`: whatever the user chose */
  | 'chosen';

export interface ScratchBase {
  /** `<base>/sealflow-scratch-<uid>`: the per-user root (0700). */
  readonly dir: string;
  readonly kind: ScratchKind;
}

export const SCRATCH_ENV = 'SEALFLOW_SCRATCH_DIR';
const OWNER_FILE = 'owner.json';

function uid(): string {
  return typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
}

/** The candidate bases, best first (an explicit choice excludes the others). */
export function scratchCandidates(env: NodeJS.ProcessEnv = process.env): ScratchBase[] {
  const name = `sealflow-scratch-${uid()}`;
  const chosen = env[SCRATCH_ENV];
  if (chosen) return [{ dir: path.join(path.resolve(chosen), name), kind: 'chosen' }];
  const out: ScratchBase[] = [];
  if (process.platform === 'linux') out.push({ dir: path.join('/dev/shm', name), kind: 'ram' });
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime && path.isAbsolute(runtime)) out.push({ dir: path.join(runtime, name), kind: 'ram' });
  out.push({ dir: path.join(os.tmpdir(), name), kind: 'disk' });
  return out;
}

/**
 * Creates `dir` (0700) or accepts it if it is a real directory of ours with
 * no access for others; false if it cannot be used (another user's, a
 * symlink, not writable).
 */
function usable(dir: string): boolean {
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) return false;
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

let chosenBase: ScratchBase | null = null;

/** The base this process uses (created 0700 on first use; the same for the life of the process). */
export function scratchBase(): ScratchBase {
  if (chosenBase && usable(chosenBase.dir)) return chosenBase;
  const candidates = scratchCandidates();
  const base = candidates.find((c) => usable(c.dir));
  if (!base) throw new Error(`no usable scratch directory: tried ${candidates.map((c) => c.dir).join(', ')} (each must be a directory of this user, mode 0700); set ${SCRATCH_ENV} to a private directory`);
  chosenBase = base;
  return base;
}

/** The scratch root of a run's workers: `<base>/<run-id>`. */
export function runScratchDir(runId: string): string {
  return path.join(scratchBase().dir, runId);
}

/** Removes worker `pid`'s directory of run `runId` (after the worker is gone), and the run's if it is now empty; never throws. */
export function removeWorkerScratch(runId: string, pid: number): void {
  try {
    const run = runScratchDir(runId);
    fs.rmSync(path.join(run, String(pid)), { recursive: true, force: true, maxRetries: 3 });
    fs.rmdirSync(run); // only if that was the run's last worker directory
  } catch {
    /* no usable base: nothing was written there */
  }
}

/** A worker process's own directory under an attempt's assigned scratch path (`<run-dir>/<pid>`). */
export function workerScratchDir(assignedScratch: string, pid = process.pid): string {
  return path.join(path.dirname(assignedScratch), String(pid));
}

/** Where a worker process actually puts an attempt's scratch: `<run-dir>/<pid>/<step>.<index>.<attempt>`. */
export function attemptScratchDir(assignedScratch: string, pid = process.pid): string {
  return path.join(workerScratchDir(assignedScratch, pid), path.basename(assignedScratch));
}

/**
 * The start time of process `pid` (field 22 of `/proc/<pid>/stat`, in clock
 * ticks since boot), null if there is no such process, undefined where
 * `/proc` does not exist.
 */
export function processStartTime(pid: number): string | null | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if (!fs.existsSync('/proc/self/stat')) return undefined;
    return (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH' ? null : undefined;
  }
  return startTimeOfStat(text);
}

/** Field 22 (`starttime`) of a `/proc/<pid>/stat` line, or null if the line does not have one. */
export function startTimeOfStat(text: string): string | null {
  // proc(5): the command name (field 2) is in parentheses and may itself contain ") "; fields 3… follow the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const field = text.slice(close + 2).split(' ')[22 - 3];
  return field !== undefined && /^\d{1,20}$/.test(field) ? field : null;
}

/** The marker a worker leaves in its directory: whose it is. */
export interface ScratchOwner {
  readonly pid: number;
  /** `processStartTime(pid)` when the worker created the directory (absent where there is no /proc). */
  readonly start?: string;
  /**
   * The worker's PID namespace (`/proc/self/ns/pid`, e.g. `pid:[4026531836]`; absent where it cannot be read):
   * a pid means something only in its own namespace, and hosts in other namespaces may share this directory.
   */
  readonly pidns?: string;
}

let ownPidns: { readonly ns: string | undefined } | undefined;

/** This process's PID namespace, or undefined where /proc does not say (read once: a sweep asks for every owner). */
export function pidNamespace(): string | undefined {
  if (ownPidns === undefined) {
    let ns: string | undefined;
    try {
      ns = fs.readlinkSync('/proc/self/ns/pid');
    } catch {
      ns = undefined;
    }
    ownPidns = { ns };
  }
  return ownPidns.ns;
}

/** Creates the worker directory `dir` (0700) with its owner marker, once per process. */
export function ensureWorkerScratch(dir: string): void {
  if (fs.existsSync(path.join(dir, OWNER_FILE))) return;
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const start = processStartTime(process.pid);
  const ns = pidNamespace();
  const owner: ScratchOwner = { pid: process.pid, ...(typeof start === 'string' ? { start } : {}), ...(ns !== undefined ? { pidns: ns } : {}) };
  const tmp = path.join(dir, `${OWNER_FILE}.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(owner), { mode: 0o600 });
  fs.renameSync(tmp, path.join(dir, OWNER_FILE));
}

/** The owner marker of a worker directory, or null if it has none (yet) or it is unreadable. */
export function readScratchOwner(dir: string): ScratchOwner | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8');
  } catch {
    return null;
  }
  return parseScratchOwner(text);
}

/** An owner marker's text as a marker, or null if it is not one (never throws: anyone may have written it). */
export function parseScratchOwner(text: string): ScratchOwner | null {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const { pid, start, pidns } = o as { pid?: unknown; start?: unknown; pidns?: unknown };
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  return { pid, ...(typeof start === 'string' ? { start } : {}), ...(typeof pidns === 'string' ? { pidns } : {}) };
}

/** Whether the process that owns a worker directory still runs (same pid, same start time); true when its pid is another PID namespace's. */
export function ownerAlive(owner: ScratchOwner): boolean {
  if (owner.pidns !== undefined && owner.pidns !== pidNamespace()) return true;
  const start = processStartTime(owner.pid);
  if (start === null) return false;
  if (start !== undefined) return owner.start === undefined || owner.start === start;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const KIND_TEXT: Record<ScratchKind, string> = {
  ram: 'RAM-backed (tmpfs)',
  disk: 'the temporary directory, possibly on disk: no RAM-backed file system was usable',
  chosen: `chosen by ${SCRATCH_ENV}`,
};

/** The line a run prints about where its workers keep plaintext (platforms sim and none: not TEE memory). */
export function scratchLine(runId: string): string {
  let base: ScratchBase;
  try {
    base = scratchBase();
  } catch (e) {
    return `workers have no place for plaintext: ${e instanceof Error ? e.message : String(e)}`;
  }
  return `workers keep plaintext (decrypted inputs, scratch) in ${path.join(base.dir, runId)}, ${KIND_TEXT[base.kind]}; on platforms sim and none this is NOT TEE-protected memory: the host can read it while a step runs`;
}
