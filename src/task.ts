/**
 * The TypeScript task API that workflow authors import from `sealflow`:
 *
 * ```ts
 * import { defineTask } from 'sealflow';
 * export const count = defineTask({
 *   inputs: { text: 'file', minLength: 'number?' },
 *   outputs: { counts: 'file' },
 *   async run({ text, minLength }, ctx) {
 *     const out = ctx.path('counts.tsv');
 *     // ... read `text` (a path), write `out` ...
 *     return { counts: out };
 *   },
 * });
 * ```
 *
 * Port type strings are the same as in flow.yaml: a base type (`file`,
 * `directory`, `string`, `number`, `boolean`, `json`), `[]` for an array of it
 * (nestable: `file[][]`), and a trailing `?` for optional.
 * Files and directories arrive as absolute paths; a task returns paths of files
 * it wrote (normally under `ctx.scratchDir`).
 */

export type BaseTypeName = 'file' | 'directory' | 'string' | 'number' | 'boolean' | 'json';
type ArrayOf<T extends string> = `${T}[]` | `${T}[][]`;
export type PortTypeName = BaseTypeName | ArrayOf<BaseTypeName>;
export type PortTypeSpec = PortTypeName | `${PortTypeName}?`;
export type PortSpecs = Record<string, PortTypeSpec>;

type BaseValue<T extends string> = T extends 'file' | 'directory' | 'string'
  ? string
  : T extends 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'json'
        ? unknown
        : never;

export type ValueOf<T extends string> = T extends `${infer U}?`
  ? ValueOf<U> | null
  : T extends `${infer U}[]`
    ? ValueOf<U>[]
    : BaseValue<T>;

export type ValuesOf<S extends PortSpecs> = { [K in keyof S]: ValueOf<S[K] & string> };

/** What a running task may use besides its inputs. */
export interface TaskContext {
  /** The step id (and scatter index, when scattered), for messages. */
  readonly stepId: string;
  /** Threads granted by the step's `requirements.threads`. */
  readonly threads: number;
  /** A private, empty directory for this step's outputs and temporary files. */
  readonly scratchDir: string;
  /** An absolute path inside `scratchDir`. */
  path(name: string): string;
  /** A progress or diagnostic line; goes to the step's log. */
  log(message: string): void;
  /** Aborted when the run is cancelled; long loops should check it. */
  readonly signal: AbortSignal;
}

export interface TaskDefinition<I extends PortSpecs = PortSpecs, O extends PortSpecs = PortSpecs> {
  readonly kind: 'sealflow-task';
  readonly inputs: I;
  readonly outputs: O;
  run(inputs: ValuesOf<I>, ctx: TaskContext): Promise<ValuesOf<O>> | ValuesOf<O>;
}

export function defineTask<I extends PortSpecs, O extends PortSpecs>(def: {
  inputs: I;
  outputs: O;
  run(inputs: ValuesOf<I>, ctx: TaskContext): Promise<ValuesOf<O>> | ValuesOf<O>;
}): TaskDefinition<I, O> {
  return { kind: 'sealflow-task', inputs: def.inputs, outputs: def.outputs, run: def.run };
}

export function isTaskDefinition(x: unknown): x is TaskDefinition {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'sealflow-task';
}
