/**
 * The workflow model: what `flow.yaml` (and later a CWL v1.2 document) loads
 * into. It is shaped so that CWL's Workflow / CommandLineTool map onto it
 * without a redesign: typed ports, defaults, multiple sources with pickValue,
 * scatter, `when`, resource requirements. docs/workflow-format.md is the spec
 * of the YAML front-end.
 *
 * Everything here is plain data (JSON-serialisable) so that it can be hashed,
 * journalled and shipped to workers.
 */
import type { SourceLocation } from '../errors.js';

export type BaseType = 'file' | 'directory' | 'string' | 'number' | 'boolean' | 'json';

/** A port type: a base type or an array of port types. */
export type PortType = { readonly kind: BaseType } | { readonly kind: 'array'; readonly items: PortType };

/** A reference to a file or directory, as passed between steps. */
export interface FileValue {
  readonly class: 'File';
  /** Absolute path (on the master: inside the run directory). */
  readonly path: string;
  readonly size?: number;
  /** Hex SHA-256 of the content (for encrypted runs: of the ciphertext). */
  readonly sha256?: string;
}
export interface DirectoryValue {
  readonly class: 'Directory';
  readonly path: string;
}
/** A runtime port value. `null` is the value of an absent optional port and of a skipped step's outputs. */
export type PortValue =
  | null
  | string
  | number
  | boolean
  | FileValue
  | DirectoryValue
  | readonly PortValue[]
  | { readonly [key: string]: unknown };

export interface PortDef {
  readonly id: string;
  readonly type: PortType;
  /** Declared with a trailing `?`: may be null. */
  readonly optional: boolean;
  readonly default?: PortValue;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

/** Where a step input's value comes from. */
export type SourceRef =
  | { readonly kind: 'workflow-input'; readonly input: string; readonly loc: SourceLocation }
  | { readonly kind: 'step-output'; readonly step: string; readonly output: string; readonly loc: SourceLocation };

/** How several sources (or a skipped producer's null) combine, as CWL v1.2. */
export type PickValue = 'first_non_null' | 'the_only_non_null' | 'all_non_null';

export interface StepInput {
  readonly id: string;
  /** Declared type (from the YAML or the task definition). */
  readonly type: PortType;
  readonly optional: boolean;
  /** One source gives its value; several give an array of their values (CWL merge_flattened is not implied). */
  readonly sources: readonly SourceRef[];
  readonly pickValue?: PickValue;
  /** Used when there is no source or every source is null. */
  readonly default?: PortValue;
  readonly loc: SourceLocation;
}

/** The TEE a step needs. `any` = any real or (where the policy allows) simulated TEE. */
export type TeeRequirement = 'none' | 'any' | 'sgx' | 'sev-snp' | 'tdx';

export interface Requirements {
  /** Threads the step may use; exposed to commands as `$(threads)`. Default 1. */
  readonly threads: number;
  /** Bytes of memory the step needs, if declared. */
  readonly memory?: number;
  /** Default `none`. */
  readonly tee: TeeRequirement;
  /** Where the `requirements:` map is (absent when the step has none). */
  readonly loc?: SourceLocation;
}

/** A TypeScript task: `./tasks/map.ts#map` resolved against the workflow file. */
export interface TaskRun {
  readonly kind: 'task';
  /** Absolute path of the module. */
  readonly module: string;
  /** The named export (a `defineTask(...)` value). */
  readonly export: string;
  /** Where `run:` is written. */
  readonly loc?: SourceLocation;
}

/** An output of a command: a file or directory it writes, or its stdout. */
export interface CommandOutputBinding {
  /** Path relative to the step's scratch directory; may contain `$(port)` templates. */
  readonly glob: string;
}

export interface CommandRun {
  readonly kind: 'command';
  /**
   * argv templates. `$(name)` expands to the value of input port `name`
   * (a file or directory expands to its path; an array, when it is the whole
   * argument, to one argument per element), `$(threads)` and `$(memory)` to
   * the step's requirements. No shell unless `shell` is true, in which case
   * the argv is joined and values are shell-quoted.
   */
  readonly argv: readonly string[];
  readonly shell: boolean;
  /** File name (in scratch) that receives stdout, if any. */
  readonly stdout?: string;
  readonly outputs: Readonly<Record<string, CommandOutputBinding>>;
  /** Extra environment variables (templated like argv). */
  readonly env: Readonly<Record<string, string>>;
  /** Where `command:` is written. */
  readonly loc?: SourceLocation;
}

/**
 * A CWL process run by the worker (docs/workflow-format.md "CWL"): the loaded
 * document travels in the assignment, and the worker builds the command line,
 * evaluates every expression in its sandbox and collects the outputs.
 */
export interface CwlRun {
  readonly kind: 'cwl';
  /** The loaded process (src/workflow/cwl/model.ts `CwlProcess`), plain JSON. */
  readonly process: unknown;
  readonly loc?: SourceLocation;
}

export interface Step {
  readonly id: string;
  readonly run: TaskRun | CommandRun | CwlRun;
  readonly inputs: readonly StepInput[];
  readonly outputs: readonly PortDef[];
  /**
   * Input ids scattered over (each must be an array). One instance per
   * element (several ids: dot product, equal lengths). Each output is then
   * gathered into an array, in element order.
   */
  readonly scatter: readonly string[];
  /** Input id of a boolean input: the step runs only when it is true; otherwise it is `skipped` and its outputs are null. */
  readonly when?: string;
  readonly requirements: Requirements;
  /** Extra attempts after a failure. Default 0. */
  readonly retries: number;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

export interface WorkflowOutput {
  readonly id: string;
  readonly type: PortType;
  readonly sources: readonly SourceRef[];
  readonly pickValue?: PickValue;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

export interface Workflow {
  readonly name: string;
  /** Absolute path of the workflow file. */
  readonly file: string;
  readonly doc?: string;
  readonly inputs: readonly PortDef[];
  readonly outputs: readonly WorkflowOutput[];
  /** In file order. */
  readonly steps: readonly Step[];
}

export function arrayOf(items: PortType): PortType {
  return { kind: 'array', items };
}

/** `file[]`, `string`, ... (the YAML spelling). */
export function formatType(t: PortType): string {
  return t.kind === 'array' ? `${formatType(t.items)}[]` : t.kind;
}

export function sameType(a: PortType, b: PortType): boolean {
  if (a.kind === 'array' && b.kind === 'array') return sameType(a.items, b.items);
  return a.kind === b.kind;
}
