/**
 * Output rules (docs/protocol.md §16): the master never opens a path a
 * worker names until it has checked it. A reported output must lie inside
 * the output directory the master assigned to that attempt, named without
 * `..` or any other detour, with no symbolic link anywhere on the way, and
 * be a regular file with one link. The file is opened without following a
 * last-component link and without blocking (a FIFO swapped in after the
 * check cannot stall the master), and the opened file's real location is
 * compared with where it must be — so a link or rename planted between the
 * check and the open is caught too. Only the first bytes (the age header)
 * are ever read.
 *
 * The checks use synchronous calls: on the master's own run directory each
 * is a few microseconds, where the promise API costs ~230 µs of CPU per
 * checked output (a thread-pool round trip per call) — on every step. None
 * can block on a FIFO: the file is opened O_NONBLOCK and read only once it
 * is known to be a regular file.
 */
import fs, { constants, type Stats } from 'node:fs';
import path from 'node:path';
import { BrokerRefusal } from './broker/types.js';

/** How much of an output the master reads: its age header (a few hundred bytes per recipient) and no more. */
export const HEADER_PREFIX = 64 * 1024;

/** At most this many output files (and sealed values) per attempt; a message with more is refused before any is opened. */
export const MAX_OUTPUT_FILES = 10_000;

/** A reported output that breaks the rules: `reason` is stable (journalled), the message says what and where. */
export class ReportRefusal extends BrokerRefusal {
  /** False when the worker may not be at fault (the file vanished); true for a forgery: the worker is revoked. */
  readonly forged: boolean;
  constructor(reason: string, message: string, forged = true) {
    super(reason, message);
    this.forged = forged;
  }
}

/** Where an attempt's outputs must be: the directory as assigned, and its real location when the master assigned it. */
export interface AttemptOutDir {
  readonly outDir: string;
  readonly real: string;
}

/**
 * Resolves the assigned `outDir` by the real path of its nearest existing ancestor (taken at assignment, before the
 * worker runs). The ancestor is found by `stat` first and resolved once: a realpath of a missing path reads every
 * link on the way before it fails, so trying it level by level cost ~20 system calls per step.
 */
export async function attemptOutDir(outDir: string): Promise<AttemptOutDir> {
  const abs = path.resolve(outDir);
  let existing = abs;
  const rest: string[] = [];
  for (;;) {
    // A missing level is the usual case (the attempt's directory is made by the worker): no Error is made for it.
    let real: string | undefined;
    try {
      if (fs.statSync(existing, { throwIfNoEntry: false }) !== undefined) real = fs.realpathSync.native(existing);
    } catch {
      real = undefined; // unreadable: resolve from the level above
    }
    if (real !== undefined) return { outDir: abs, real: path.join(real, ...rest) };
    const up = path.dirname(existing);
    if (up === existing) return { outDir: abs, real: abs };
    rest.unshift(path.basename(existing));
    existing = up;
  }
}

/**
 * The lexical rules (no file system access): `p` is an absolute, normalised
 * path strictly inside `outDir`, without `..`, empty or `.` segments or NUL
 * bytes. Returns its path relative to `outDir`.
 */
export function checkOutputPath(outDir: string, p: unknown): string {
  if (typeof p !== 'string' || p.length === 0) throw new ReportRefusal('output-path', 'an output path is not a non-empty string');
  const shown = JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p);
  if (p.includes('\0')) throw new ReportRefusal('output-path', `output ${shown} contains a NUL byte`);
  if (!path.isAbsolute(p)) throw new ReportRefusal('output-path', `output ${shown} is not an absolute path`);
  if (p.split(/[\\/]/).some((s, i) => s === '..' || s === '.' || (s === '' && i > 0))) throw new ReportRefusal('output-path', `output ${shown} contains a ".", ".." or empty segment`);
  if (path.normalize(p) !== p) throw new ReportRefusal('output-path', `output ${shown} is not a normalised path`);
  const rel = path.relative(outDir, p);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new ReportRefusal('output-outside', `output ${shown} is not inside the attempt's output directory ${outDir}`);
  return rel;
}

const kind = (s: Stats): string => (s.isSymbolicLink() ? 'a symbolic link' : s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() || s.isBlockDevice() ? 'a device' : s.isDirectory() ? 'a directory' : 'not a regular file');

/** The real path of an open file: /proc/self/fd on Linux (race-free), else realpath of the name. */
function realPathOf(fd: number, p: string): string {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return fs.realpathSync.native(p);
  }
}

/**
 * Checks output `p` of an attempt against the rules and reads its first
 * bytes (at most HEADER_PREFIX) from a descriptor that is certainly the
 * checked file. Throws ReportRefusal.
 */
export async function readOutputPrefix(dir: AttemptOutDir, p: unknown): Promise<Buffer> {
  const rel = checkOutputPath(dir.outDir, p);
  const file = p as string;
  // Every component from the output directory down: a real directory, then the regular file itself.
  let at = dir.outDir;
  const parts = ['', ...rel.split(path.sep)];
  let last: Stats | undefined;
  for (const [i, part] of parts.entries()) {
    at = part === '' ? at : path.join(at, part);
    try {
      last = fs.lstatSync(at);
    } catch {
      throw new ReportRefusal('output-missing', `output ${file} does not exist on the master`, false);
    }
    const final = i === parts.length - 1;
    if (last.isSymbolicLink()) throw new ReportRefusal('output-symlink', `output ${file}: ${at} is a symbolic link`);
    if (!final && !last.isDirectory()) throw new ReportRefusal('output-not-regular', `output ${file}: ${at} is ${kind(last)}, not a directory`);
    if (final && !last.isFile()) throw new ReportRefusal('output-not-regular', `output ${file} is ${kind(last)}, not a regular file`);
  }
  if (last === undefined || last.nlink !== 1) throw new ReportRefusal('output-hard-link', `output ${file} has ${last?.nlink ?? 0} links (another name for the same file)`);
  let fd: number;
  try {
    fd = fs.openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw new ReportRefusal('output-symlink', `output ${file} could not be opened without following a link (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const s = fs.fstatSync(fd);
    if (!s.isFile() || s.ino !== last.ino || s.dev !== last.dev || s.nlink !== 1) throw new ReportRefusal('output-replaced', `output ${file} was replaced while the master checked it`);
    const real = realPathOf(fd, file);
    if (real !== path.join(dir.real, rel)) throw new ReportRefusal('output-outside', `output ${file} resolves to ${real}, outside the attempt's output directory ${dir.real}`);
    const buf = Buffer.alloc(Math.min(HEADER_PREFIX, Math.max(s.size, 1)));
    const bytesRead = fs.readSync(fd, buf, 0, buf.length, 0);
    if (bytesRead === 0) throw new ReportRefusal('output-not-age', `output ${file} is empty, not an age file`);
    return buf.subarray(0, bytesRead);
  } finally {
    fs.closeSync(fd);
  }
}
