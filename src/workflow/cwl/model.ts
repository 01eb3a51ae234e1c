/**
 * The CWL v1.2 process model after loading (docs/workflow-format.md "CWL"):
 * plain JSON, so that a tool document travels to the worker that runs it in
 * an assignment. Ids are short (`reads`, `align/sam`); every type is in its
 * long form (`File?` is `['null', 'File']`); requirements and hints are
 * arrays; a step's `run` is the loaded process.
 */

export type CwlType =
  | string
  | readonly CwlType[]
  | { readonly type: 'array'; readonly items: CwlType; readonly name?: string; readonly inputBinding?: CwlBinding }
  | { readonly type: 'record'; readonly fields: readonly CwlField[]; readonly name?: string; readonly inputBinding?: CwlBinding }
  | { readonly type: 'enum'; readonly symbols: readonly string[]; readonly name?: string; readonly inputBinding?: CwlBinding };

export interface CwlField {
  readonly name: string;
  readonly type: CwlType;
  readonly inputBinding?: CwlBinding;
  readonly outputBinding?: CwlOutputBinding;
  readonly secondaryFiles?: readonly CwlSecondary[];
  readonly format?: unknown;
  readonly loadContents?: boolean;
  readonly loadListing?: string;
}

export interface CwlBinding {
  readonly position?: number | string;
  readonly prefix?: string;
  readonly separate?: boolean;
  readonly itemSeparator?: string;
  readonly valueFrom?: unknown;
  readonly shellQuote?: boolean;
  readonly loadContents?: boolean;
}

export interface CwlOutputBinding {
  readonly glob?: unknown;
  readonly loadContents?: boolean;
  readonly loadListing?: string;
  readonly outputEval?: string;
}

export interface CwlSecondary {
  readonly pattern: string;
  readonly required?: boolean | string;
}

export interface CwlParam {
  readonly id: string;
  readonly type: CwlType;
  readonly default?: unknown;
  readonly inputBinding?: CwlBinding;
  readonly outputBinding?: CwlOutputBinding;
  readonly secondaryFiles?: readonly CwlSecondary[];
  readonly format?: unknown;
  readonly streamable?: boolean;
  readonly loadContents?: boolean;
  readonly loadListing?: string;
  /** Workflow outputs. */
  readonly outputSource?: readonly string[];
  readonly linkMerge?: string;
  readonly pickValue?: string;
}

export interface CwlRequirement {
  readonly class: string;
  readonly [key: string]: unknown;
}

export interface CwlStepInput {
  readonly id: string;
  readonly source: readonly string[];
  readonly linkMerge?: string;
  readonly pickValue?: string;
  readonly default?: unknown;
  readonly valueFrom?: string;
  readonly loadContents?: boolean;
  readonly loadListing?: string;
}

export interface CwlStep {
  readonly id: string;
  readonly in: readonly CwlStepInput[];
  readonly out: readonly string[];
  readonly run: CwlProcess;
  readonly scatter: readonly string[];
  readonly scatterMethod?: string;
  readonly when?: string;
  readonly requirements: readonly CwlRequirement[];
  readonly hints: readonly CwlRequirement[];
  /** `file:line` of the step, for messages. */
  readonly at: string;
}

export interface CwlProcess {
  readonly class: 'CommandLineTool' | 'ExpressionTool' | 'Workflow' | 'Operation';
  readonly id: string;
  readonly cwlVersion: string;
  /** Absolute path of the document the process is in. */
  readonly file: string;
  /** `file:line` of the process. */
  readonly at: string;
  readonly inputs: readonly CwlParam[];
  readonly outputs: readonly CwlParam[];
  readonly requirements: readonly CwlRequirement[];
  readonly hints: readonly CwlRequirement[];
  readonly namespaces?: Readonly<Record<string, string>>;
  // CommandLineTool
  readonly baseCommand?: readonly string[];
  readonly arguments?: readonly (string | CwlBinding)[];
  readonly stdin?: string;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly successCodes?: readonly number[];
  readonly temporaryFailCodes?: readonly number[];
  readonly permanentFailCodes?: readonly number[];
  // ExpressionTool
  readonly expression?: string;
  // Workflow
  readonly steps?: readonly CwlStep[];
}

/** The requirements a CWL process may use (v1.2), and those this runner supports. */
export const SUPPORTED_REQUIREMENTS = new Set([
  'InlineJavascriptRequirement',
  'SchemaDefRequirement',
  'LoadListingRequirement',
  'DockerRequirement',
  'SoftwareRequirement',
  'InitialWorkDirRequirement',
  'EnvVarRequirement',
  'ShellCommandRequirement',
  'ResourceRequirement',
  'WorkReuse',
  'NetworkAccess',
  'InplaceUpdateRequirement',
  'ToolTimeLimit',
  'SubworkflowFeatureRequirement',
  'ScatterFeatureRequirement',
  'MultipleInputFeatureRequirement',
  'StepInputExpressionRequirement',
]);

/** A document uses a requirement this runner cannot meet: the runner exits 33 (CWL runner convention). */
export class UnsupportedRequirementError extends Error {
  override readonly name = 'UnsupportedRequirementError';
}
