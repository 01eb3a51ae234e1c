/**
 * The two error classes every command maps to an exit status.
 *
 * - `InputError`: the input or the command line was invalid and nothing was
 *   done (exit 2). The message says what was wrong, where (file:line, step id,
 *   host) and what to do.
 * - `OperationError`: the operation was attempted and failed (exit 1).
 *
 * Anything else that escapes to the CLI is a bug and is reported as such
 * (exit 1, with a stack trace under SEALFLOW_DEBUG=1).
 */
export class InputError extends Error {
  readonly exitCode = 2 as const;
  override readonly name = 'InputError';
}

export class OperationError extends Error {
  readonly exitCode = 1 as const;
  override readonly name = 'OperationError';
}

/** Where in a user's file something is: printed as `file:line:column`. */
export interface SourceLocation {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}
