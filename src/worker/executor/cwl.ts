/**
 * A CWL step in the executor (docs/workflow-format.md "CWL"): the assigned
 * process runs in the attempt's scratch directory through src/worker/cwl/
 * (command line, sandboxed expressions, outputs), and every File or
 * Directory it outputs is kept like any command output (plain runs: scratch
 * becomes the output directory; sealed runs: encrypted from scratch).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AssignMsg, ExecSpec } from '../../protocol/execution.js';
import type { PortValue } from '../../workflow/model.js';
import type { CwlProcess } from '../../workflow/cwl/model.js';
import { ExpressionError } from '../../workflow/cwl/expr/sandbox.js';
import { Reqs } from '../cwl/requirements.js';
import { CwlRunError, isObj, pathOf, type Obj } from '../cwl/values.js';
import { runProcess } from '../cwl/workflow.js';
import type { RunOutcome } from './command.js';
import { fileValue, type Keeper } from './outputs.js';
import { FILE_GROUP } from '../../workflow/cwl/to-model.js';

/** Inputs as CWL File objects: the path is where the file is now (decrypted, in sealed runs); the basename is the owner's. */
function toCwl(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCwl);
  if (!isObj(v)) return v;
  // A file with its secondary files travels as a group, so that the engine admits and seals each of them.
  if (v.class === FILE_GROUP && isObj(v.primary)) return { ...(toCwl(v.primary) as Obj), secondaryFiles: toCwl(v.secondaryFiles ?? []) };
  if ((v.class === 'File' || v.class === 'Directory') && typeof v.path === 'string') {
    const { location: _l, dirname: _d, sha256: _s, nameroot: _r, nameext: _e, ...rest } = v;
    // Its location is where it is now (an expression may name it, e.g. as another input's secondary file).
    return { ...rest, location: `file://${v.path}`, basename: typeof v.basename === 'string' ? v.basename : path.basename(v.path) };
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCwl(x)]));
}

/** A listing entry's name: one path component (an expression may have built it). */
function entryName(e: Obj, where: string): string {
  const name = typeof e.basename === 'string' ? e.basename : path.basename(pathOf(e));
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new CwlRunError(`${where}: a Directory literal's entry is named ${JSON.stringify(name)}; give each entry a basename without '/' or '..'`);
  return name;
}

/** Writes a Directory literal (a `listing` without a path, as an expression builds it) to `dest`, copying its files. */
function writeDirectoryLiteral(v: Obj, dest: string, where: string): void {
  fs.mkdirSync(dest, { recursive: true });
  for (const e of Array.isArray(v.listing) ? v.listing : []) {
    if (!isObj(e) || (e.class !== 'File' && e.class !== 'Directory')) throw new CwlRunError(`${where}: a Directory literal's listing holds something that is not a File or Directory`);
    const to = path.join(dest, entryName(e, where));
    if (fs.existsSync(to)) throw new CwlRunError(`${where}: a Directory literal's listing names ${path.basename(to)} twice`);
    if (pathOf(e) === '' && e.class === 'File') fs.writeFileSync(to, typeof e.contents === 'string' ? e.contents : '');
    else if (pathOf(e) === '') writeDirectoryLiteral(e, to, where);
    else fs.cpSync(pathOf(e), to, { recursive: true, dereference: true });
  }
}

/**
 * Directory literals in the outputs become directories in scratch (`_literal/N/<basename>`): a Directory output is
 * kept, sealed and recorded as one directory, never as loose files inside a value.
 */
function materialiseDirectories(v: unknown, scratch: string, where: string, n = { i: 0 }): unknown {
  if (Array.isArray(v)) return v.map((x) => materialiseDirectories(x, scratch, where, n));
  if (!isObj(v)) return v;
  if (v.class === 'Directory' && pathOf(v) === '' && Array.isArray(v.listing)) {
    const name = entryName({ basename: typeof v.basename === 'string' ? v.basename : 'directory' }, where);
    const dest = path.join(scratch, '_literal', String(n.i++), name);
    writeDirectoryLiteral(v, dest, where);
    const { listing: _x, location: _l, ...rest } = v;
    return { ...rest, basename: name, path: dest };
  }
  if (v.class === 'File' || v.class === 'Directory') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialiseDirectories(x, scratch, where, n)]));
}

function kept(v: unknown, keeper: Keeper): unknown {
  if (Array.isArray(v)) return v.map((x) => kept(x, keeper));
  if (!isObj(v)) return v;
  if ((v.class === 'File' || v.class === 'Directory') && pathOf(v) !== '') {
    const at = keeper.keep(pathOf(v), v.class === 'File' ? 'file' : 'directory');
    const { location: _l, dirname: _d, path: _p, listing: _x, ...rest } = v;
    const base: Obj = v.class === 'File' ? (fileValue(at) as Obj) : { class: 'Directory', path: at.final };
    // The name the tool gave it travels with it (the published file's name may carry its port's or field's prefix).
    const o: Obj = { basename: path.basename(pathOf(v)), ...rest, ...base };
    // A sealed directory is published as one age file under its port's name: its basename travels beside it.
    if (v.class === 'Directory') return { class: FILE_GROUP, primary: o, secondaryFiles: [], meta: { basename: v.basename ?? path.basename(pathOf(v)) } };
    if (!Array.isArray(v.secondaryFiles) || v.secondaryFiles.length === 0) return o;
    delete o.secondaryFiles;
    return { class: FILE_GROUP, primary: o, secondaryFiles: kept(v.secondaryFiles, keeper) };
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, kept(x, keeper)]));
}

export async function runCwlStep(msg: AssignMsg, exec: Extract<ExecSpec, { kind: 'cwl' }>, io: { pathEnv: string; errLog: string; keeper: Keeper }): Promise<RunOutcome> {
  const logFd = fs.openSync(io.errLog, 'w');
  try {
    const job = toCwl(msg.inputs) as Obj;
    const out = await runProcess(exec.process as CwlProcess, job, new Reqs([], []), { workDir: path.join(msg.scratchDir, 'cwl'), pathEnv: io.pathEnv, log: (l) => fs.writeSync(logFd, `${l}\n`) });
    const outputs = materialiseDirectories(out, msg.scratchDir, (exec.process as CwlProcess).at);
    return { ok: true, outputs: kept(outputs, io.keeper) as Record<string, PortValue>, exitStatus: 0 };
  } catch (e) {
    if (e instanceof CwlRunError || e instanceof ExpressionError) return { ok: false, message: e.message, exitStatus: null, signal: null };
    throw e;
  } finally {
    fs.closeSync(logFd);
  }
}
