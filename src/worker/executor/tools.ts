/**
 * Fixed PATH and pinned tools (docs/protocol.md §10.3): before a command step
 * executes anything, the executor resolves its program on the assignment's
 * fixed PATH (or the pin's absolute path), hashes the file, and refuses to
 * exec when a pinned SHA-256 differs or the pinned tool is missing.
 *
 * Time of check / time of use: a pinned native executable (ELF that does not
 * find its libraries through `$ORIGIN`) is hashed while it is copied into the
 * attempt's private directory (0700, beside scratch), and the copy — exactly
 * the verified bytes — is what runs. Scripts and `$ORIGIN` binaries must run
 * from where they are installed (their interpreter or loader looks beside
 * them), so they run from the resolved absolute path that was hashed; the
 * window between hash and exec stays open for them (§10.3).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, open, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ExecSpec, ToolCheck, ToolPinSpec } from '../../protocol/execution.js';
import { isExecutableFile, resolveOnPath } from '../../workflow/which.js';

type CommandSpec = Extract<ExecSpec, { kind: 'command' }>;

export type PreparedProgram =
  | { readonly ok: true; /** What to spawn. */ readonly file: string; readonly checks: readonly ToolCheck[] }
  | { readonly ok: false; readonly message: string; readonly checks: readonly ToolCheck[] };

const CHUNK = 1 << 20;
const ORIGIN = Buffer.from('$ORIGIN');
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export { resolveOnPath } from '../../workflow/which.js';

export interface Hashed {
  readonly sha256: string;
  /** The copy holds exactly the hashed bytes and may run in place of the original. */
  readonly copyRunnable: boolean;
}

/** SHA-256 of `file`, read once through one descriptor; with `copyTo`, the same bytes are written there (mode 0700). */
export async function hashFile(file: string, copyTo?: string): Promise<Hashed> {
  const h = createHash('sha256');
  const src = await open(file, 'r');
  const dst = copyTo === undefined ? undefined : await open(copyTo, 'wx', 0o700);
  let elf = false;
  let origin = false;
  let carry = Buffer.alloc(0);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let first = true;
    for (;;) {
      const { bytesRead } = await src.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      h.update(chunk);
      if (first) elf = chunk.subarray(0, 4).equals(ELF);
      first = false;
      if (dst) {
        await dst.write(chunk);
        if (!origin) {
          const scan = Buffer.concat([carry, chunk]);
          origin = scan.includes(ORIGIN);
          carry = scan.subarray(Math.max(0, scan.length - ORIGIN.length + 1));
        }
      }
    }
  } finally {
    await src.close();
    await dst?.close();
  }
  return { sha256: h.digest('hex'), copyRunnable: dst !== undefined && elf && !origin };
}

/** SHA-256 of unpinned programs by real path, with the file's identity when hashed (a changed file is hashed again). */
const unpinnedHashes = new Map<string, { readonly key: string; readonly sha256: string }>();

/**
 * The record of an unpinned program about to run from `file` (§10.3 step 4,
 * receipt §14.7): its real path and SHA-256, hashed once per file identity
 * (device, inode, size, mtime, ctime) per executor. Nothing is checked; a file
 * that cannot be read is simply not recorded (its exec reports any problem).
 */
async function unpinnedRecord(tool: string, file: string): Promise<ToolCheck | undefined> {
  try {
    // Synchronous: microseconds each, on every step (a thread-pool round trip costs more).
    const real = fs.realpathSync.native(file);
    const st = fs.statSync(real, { bigint: true });
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    let known = unpinnedHashes.get(real);
    if (known?.key !== key) {
      known = { key, sha256: (await hashFile(real)).sha256 };
      unpinnedHashes.set(real, known);
    }
    return { tool, path: real, sha256: known.sha256 };
  } catch {
    return undefined;
  }
}

function mismatch(label: string, tool: string, file: string, expected: string, actual: string): string {
  return (
    `step ${label}: tool ${tool} at ${file} has SHA-256 ${actual}, but the run configuration pins ${expected}; it was not executed. ` +
    `If the tool was updated on purpose, update its pin ('sealflow tools pin ${file}' prints the new entry); otherwise find out what changed it.`
  );
}

function missing(label: string, tool: string, where: string): string {
  return `step ${label}: pinned tool ${tool} was not found ${where}; nothing was executed. Install it there, or correct the pin's 'path:' in the run configuration ('sealflow tools pin <file>' prints an entry).`;
}

/**
 * Resolves and checks what a command runs. Without a fixed PATH and without
 * pins it changes nothing (the plain executor's behaviour). `privateDir` is
 * where a verified copy may go; the caller removes it after the attempt.
 */
export async function prepareProgram(label: string, program: string, exec: CommandSpec, pathEnv: string, cwd: string, privateDir: string): Promise<PreparedProgram> {
  const pins: Readonly<Record<string, ToolPinSpec>> = exec.tools ?? {};
  const fixed = exec.path !== undefined;
  if (!fixed && Object.keys(pins).length === 0) return { ok: true, file: program, checks: [] };
  const checks: ToolCheck[] = [];
  const check = async (tool: string, pin: ToolPinSpec, file: string | undefined, where: string, copy: boolean): Promise<{ refused?: string; run?: string }> => {
    if (file === undefined || !(await isExecutableFile(file))) return { refused: missing(label, tool, where) };
    const real = await realpath(file);
    let copyTo: string | undefined;
    if (copy) {
      await mkdir(privateDir, { recursive: true, mode: 0o700 });
      copyTo = path.join(privateDir, tool);
      await rm(copyTo, { force: true });
    }
    const hashed = await hashFile(real, copyTo);
    checks.push({ tool, path: real, sha256: hashed.sha256, expected: pin.sha256 });
    if (hashed.sha256 !== pin.sha256) return { refused: mismatch(label, tool, real, pin.sha256, hashed.sha256) };
    if (copyTo !== undefined && !hashed.copyRunnable) await rm(copyTo, { force: true });
    return { run: hashed.copyRunnable && copyTo !== undefined ? copyTo : real };
  };
  const pinnedWhere = (pin: ToolPinSpec) => (pin.path !== undefined ? `at ${pin.path}` : `on the fixed PATH ${pathEnv}`);

  if (exec.shell) {
    // The script finds its tools on the same fixed PATH; each pinned tool it names is checked first (it runs in place).
    for (const [tool, pin] of Object.entries(pins)) {
      const r = await check(tool, pin, pin.path ?? (await resolveOnPath(tool, pathEnv)), pinnedWhere(pin), false);
      if (r.refused !== undefined) return { ok: false, message: r.refused, checks };
    }
    return { ok: true, file: program, checks };
  }
  const tool = path.basename(program);
  const pin = pins[tool];
  const resolved = program.includes('/') ? path.resolve(cwd, program) : (pin?.path ?? (await resolveOnPath(program, pathEnv)));
  if (pin === undefined) {
    if (resolved === undefined) return { ok: false, message: `step ${label}: command not found on the fixed PATH ${pathEnv}: ${program}. Install it in one of those directories, set 'path:' in the run configuration, or give its absolute path.`, checks };
    const record = fixed ? await unpinnedRecord(tool, resolved) : undefined;
    return { ok: true, file: resolved, checks: record ? [...checks, record] : checks };
  }
  const r = await check(tool, pin, resolved, program.includes('/') ? `at ${resolved}` : pinnedWhere(pin), true);
  if (r.refused !== undefined || r.run === undefined) return { ok: false, message: r.refused ?? missing(label, tool, pinnedWhere(pin)), checks };
  return { ok: true, file: r.run, checks };
}
