/**
 * Finding programs the way a command step's exec would: whether a file is
 * an executable regular file, and PATH-style lookup of a bare name. Used by
 * the load-time command checks (check-commands.ts) and by the executor's
 * fixed PATH and tool pins (src/worker/executor/tools.ts, docs/protocol.md §10.3).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** Whether `file` is a regular file this process may execute. */
export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
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
