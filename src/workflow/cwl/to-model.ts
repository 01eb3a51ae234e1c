/**
 * A loaded CWL process onto the workflow model (docs/workflow-format.md
 * "CWL", "How CWL maps onto the workflow model"). This version maps the
 * whole process onto one step of kind `cwl`: the engine admits, encrypts and
 * places it like any step, and the worker runs the process (its own steps,
 * scatter and expressions) inside. Splitting a CWL Workflow into engine
 * steps is the next stage of the mapping.
 */
import type { SourceLocation } from '../../errors.js';
import type { PortDef, PortType, Step, Workflow } from '../model.js';
import type { CwlParam, CwlProcess, CwlType } from './model.js';

/**
 * A CWL File with secondary files, as a port value: `{class: 'CwlFileGroup', primary, secondaryFiles}`. The
 * engine admits, seals and releases keys for the File and Directory values it finds inside port values, but not
 * inside a File; as a group, every file of it is one of those.
 */
export const FILE_GROUP = 'CwlFileGroup';

/** The job's files with secondary files, as groups (recursively). */
export function groupSecondaries(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(groupSecondaries);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ((o.class === 'File' || o.class === 'Directory') && Array.isArray(o.secondaryFiles) && o.secondaryFiles.length > 0) {
    const { secondaryFiles, ...primary } = o;
    return { class: FILE_GROUP, primary, secondaryFiles: groupSecondaries(secondaryFiles) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, groupSecondaries(x)]));
}

/** The inverse of groupSecondaries. */
export function ungroupSecondaries(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(ungroupSecondaries);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (o.class === FILE_GROUP && o.primary !== null && typeof o.primary === 'object') {
    const secondaries = ungroupSecondaries(o.secondaryFiles ?? []);
    const meta = o.meta !== null && typeof o.meta === 'object' ? o.meta : {};
    return { ...(ungroupSecondaries(o.primary) as object), ...meta, ...(Array.isArray(secondaries) && secondaries.length > 0 ? { secondaryFiles: secondaries } : {}) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, ungroupSecondaries(x)]));
}

function portType(t: CwlType, hasSecondaries = false): { type: PortType; optional: boolean } {
  const members = Array.isArray(t) ? (t as readonly CwlType[]) : [t];
  const optional = members.includes('null');
  const rest = members.filter((m) => m !== 'null');
  // A File or Directory port is a `file`/`directory` port unless it may carry secondary files (then `json`: a group).
  if (rest.length === 1 && !hasSecondaries) {
    const m = rest[0]!;
    if (m === 'File') return { type: { kind: 'file' }, optional };
    if (m === 'Directory') return { type: { kind: 'directory' }, optional };
    if (typeof m === 'object' && !Array.isArray(m) && (m as { type?: string }).type === 'array') {
      const items = portType((m as { items: CwlType }).items);
      if (!items.optional && items.type.kind !== 'json') return { type: { kind: 'array', items: items.type }, optional };
    }
  }
  return { type: { kind: 'json' }, optional: true };
}

function loc(p: CwlProcess): SourceLocation {
  const m = /^(.*):(\d+)$/.exec(p.at);
  return { file: m ? m[1]! : p.file, line: m ? Number(m[2]) : 1, column: 1 };
}

function port(p: CwlParam, at: SourceLocation): PortDef {
  const t = portType(p.type, p.secondaryFiles !== undefined && p.secondaryFiles.length > 0);
  return { id: p.id, type: t.type, optional: t.optional || p.default !== undefined, loc: at };
}

/** The step id of a process: its document's name (`bwa-mem-tool.cwl` → `bwa-mem-tool`). */
export function stepIdOf(p: CwlProcess): string {
  const base = p.file.replace(/^.*\//, '').replace(/\.cwl$/, '');
  return base.replace(/[^A-Za-z0-9_-]/g, '_') || 'cwl';
}

export function cwlToModel(p: CwlProcess): Workflow {
  const at = loc(p);
  const id = stepIdOf(p);
  const inputs = p.inputs.map((i) => port(i, at));
  const outputs = p.outputs.map((o) => ({ ...port(o, at), optional: true }));
  const step: Step = {
    id,
    run: { kind: 'cwl', process: p, loc: at },
    inputs: inputs.map((i) => ({ id: i.id, type: i.type, optional: true, sources: [{ kind: 'workflow-input', input: i.id, loc: at }], loc: at })),
    outputs,
    scatter: [],
    requirements: { threads: 1, tee: 'none' },
    retries: 0,
    loc: at,
  };
  return {
    name: id,
    file: p.file,
    inputs: inputs.map((i) => ({ ...i, optional: true })),
    outputs: outputs.map((o) => ({ id: o.id, type: o.type, sources: [{ kind: 'step-output', step: id, output: o.id, loc: at }], loc: at })),
    steps: [step],
  };
}
