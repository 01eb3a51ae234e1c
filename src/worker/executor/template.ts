/**
 * argv templating (docs/workflow-format.md, "Steps"): `$(name)` expands to the
 * value of input `name` (a file or directory to its absolute path), or to
 * `$(threads)` / `$(memory)`. An argument that is exactly one `$(name)`
 * expands to one argument per array element (none for null); inside a longer
 * argument, array elements are joined with spaces. With `shell: true` every
 * substituted value is single-quoted for /bin/sh and the literal text is kept
 * as written.
 */
import type { PortValue } from '../../workflow/model.js';

const REF = /\$\(([A-Za-z_][A-Za-z0-9_-]*)\)/g;
const WHOLE = /^\$\(([A-Za-z_][A-Za-z0-9_-]*)\)$/;

export interface TemplateScope {
  readonly inputs: Readonly<Record<string, PortValue>>;
  readonly threads: number;
  readonly memory?: number;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** The strings a value contributes to an argv. */
export function valueStrings(v: PortValue | undefined): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return (v as readonly PortValue[]).flatMap(valueStrings);
  if (typeof v === 'object') {
    const o = v as { class?: unknown; path?: unknown };
    if ((o.class === 'File' || o.class === 'Directory') && typeof o.path === 'string') return [o.path];
    return [JSON.stringify(v)];
  }
  return [String(v)];
}

function lookup(name: string, scope: TemplateScope): string[] {
  if (name === 'threads' && !(name in scope.inputs)) return [String(scope.threads)];
  if (name === 'memory' && !(name in scope.inputs)) return scope.memory === undefined ? [] : [String(scope.memory)];
  if (!(name in scope.inputs)) throw new TemplateError(`$(${name}) names no input of the step`);
  return valueStrings(scope.inputs[name]);
}

/** POSIX sh single-quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Expands one string; arrays are joined with spaces. */
export function expandString(template: string, scope: TemplateScope, quote = false): string {
  return template.replace(REF, (_m, name: string) => {
    const parts = lookup(name, scope);
    return (quote ? parts.map(shellQuote) : parts).join(' ');
  });
}

/** The argv of a command (shell: false) or its one `/bin/sh -c` script (shell: true). */
export function expandArgv(argv: readonly string[], scope: TemplateScope, shell: boolean): string[] {
  if (shell) return ['/bin/sh', '-c', argv.map((a) => expandString(a, scope, true)).join(' ')];
  const out: string[] = [];
  for (const a of argv) {
    const whole = WHOLE.exec(a);
    if (whole?.[1]) out.push(...lookup(whole[1], scope));
    else out.push(expandString(a, scope));
  }
  return out;
}
