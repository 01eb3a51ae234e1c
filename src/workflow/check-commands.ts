/** Load-time check that every command step's program exists and is executable. */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Step } from './model.js';
import { inputError } from './yaml-source.js';

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The absolute path `program` runs as, searching `searchPath` (PATH syntax) for bare names; undefined if none. */
export async function whichProgram(program: string, searchPath: string): Promise<string | undefined> {
  if (program.includes('/')) return (await isExecutable(program)) ? path.resolve(program) : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, program);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Resolves the program of every command step (shell steps and templated
 * programs are left to run time). Returns step id -> absolute program path.
 */
export async function checkCommands(steps: readonly Step[], searchPath: string): Promise<Map<string, string>> {
  const cache = new Map<string, Promise<string | undefined>>();
  const found = new Map<string, string>();
  await Promise.all(
    steps.map(async (step) => {
      if (step.run.kind !== 'command' || step.run.shell) return;
      const program = step.run.argv[0] ?? '';
      if (program.includes('$(')) return;
      let lookup = cache.get(program);
      if (lookup === undefined) {
        lookup = whichProgram(program, searchPath);
        cache.set(program, lookup);
      }
      const resolved = await lookup;
      if (resolved !== undefined) {
        found.set(step.id, resolved);
        return;
      }
      const loc = step.run.loc ?? step.loc;
      const what = program.includes('/')
        ? `command '${program}' is not an executable file; check the path and its execute permission (chmod +x).`
        : `command '${program}' is not on PATH (searched ${searchPath.split(path.delimiter).filter((d) => d !== '').length} directories); install it, add its directory to PATH, or give its absolute path.`;
      throw inputError(loc, `step "${step.id}"`, what);
    }),
  );
  return found;
}
