/**
 * Finding programs the way a command step's exec would: whether a file is
 * an executable regular file, and PATH-style lookup of a bare name. Used by
 * the load-time command checks (check-commands.ts) and by the executor's
 * fixed PATH and tool pins (src/worker/executor/tools.ts, docs/protocol.md §10.3).
 */
import fs, { constants } from 'node:fs';
import path from 'node:path';

/**
 * Whether `file` is a regular file this process may execute. Synchronous
 * calls behind the promise: each is microseconds, where a thread-pool round
 * trip per call (a PATH lookup makes several) cost more on every step.
 */
export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    fs.accessSync(file, constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `dir/name` on `searchPath` (PATH syntax); undefined if none. */
export async function resolveOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** The absolute path `program` runs as, searching `searchPath` (PATH syntax) for bare names; undefined if none. */
export async function whichProgram(program: string, searchPath: string): Promise<string | undefined> {
  if (program.includes('/')) return (await isExecutableFile(program)) ? path.resolve(program) : undefined;
  return resolveOnPath(program, searchPath);
}
