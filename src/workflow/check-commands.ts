/** Load-time file-system checks of steps: command programs exist and are executable; default paths exist. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Step } from './model.js';
import { baseOf, isFileLike } from './types.js';
import { pathsIn } from './values.js';
import { displayPath, inputError } from './yaml-source.js';
import { whichProgram } from './which.js';

export { whichProgram } from './which.js';

/**
 * Resolves the program of every command step (shell steps and templated
 * programs are left to run time). Returns step id -> absolute program path.
 */
export async function checkCommands(steps: readonly Step[], searchPath: string, pinnedPaths: ReadonlyMap<string, string> = new Map(), fixedPath = false): Promise<Map<string, string>> {
  const cache = new Map<string, Promise<string | undefined>>();
  const found = new Map<string, string>();
  await Promise.all(
    steps.map(async (step) => {
      if (step.run.kind !== 'command' || step.run.shell) return;
      const program = step.run.argv[0] ?? '';
      if (program.includes('$(')) return;
      let lookup = cache.get(program);
      if (lookup === undefined) {
        const pinned = pinnedPaths.get(program); // a pinned tool's `path:` is where it runs from (docs/protocol.md §10.3)
        lookup = whichProgram(pinned ?? program, searchPath);
        cache.set(program, lookup);
      }
      const resolved = await lookup;
      if (resolved !== undefined) {
        found.set(step.id, resolved);
        return;
      }
      const loc = step.run.loc ?? step.loc;
      const pinned = pinnedPaths.get(program);
      const what = pinned !== undefined
        ? `command '${program}' is pinned to ${pinned} in the run configuration, which is not an executable file; install it there or correct the pin's path.`
        : program.includes('/')
        ? `command '${program}' is not an executable file; check the path and its execute permission (chmod +x).`
        : fixedPath
          ? `command '${program}' is not on PATH ${searchPath}, the fixed PATH encrypted runs use (docs/protocol.md §10.3); install it there, add its directory to 'path:' in the run configuration, or give its absolute path.`
          : `command '${program}' is not on PATH (searched ${searchPath.split(path.delimiter).filter((d) => d !== '').length} directories); install it, add its directory to PATH, or give its absolute path.`;
      throw inputError(loc, `step "${step.id}"`, what);
    }),
  );
  return found;
}

/** Every file or directory a step input's `default:` names must exist (relative paths were resolved against flow.yaml). */
export async function checkDefaults(steps: readonly Step[]): Promise<void> {
  const checks: Promise<void>[] = [];
  for (const step of steps) {
    for (const input of step.inputs) {
      if (input.default === undefined || !isFileLike({ kind: baseOf(input.type) })) continue;
      for (const p of pathsIn(input.default)) {
        checks.push(
          stat(p.path).then(
            (st) => {
              if (p.class === 'File' ? !st.isFile() : !st.isDirectory()) {
                throw inputError(input.loc, `step "${step.id}"`, `the default of input '${input.id}' is ${displayPath(p.path)}, which is not a ${p.class === 'File' ? 'regular file' : 'directory'}.`);
              }
            },
            () => {
              throw inputError(input.loc, `step "${step.id}"`, `the default of input '${input.id}' names ${p.class === 'File' ? 'file' : 'directory'} ${displayPath(p.path)}, which does not exist; default paths are relative to the workflow file.`);
            },
          ),
        );
      }
    }
  }
  await Promise.all(checks);
}
