/**
 * Inputs already on a deployment's hosts (docs/connectors/data-in-place.md),
 * checked at start against that deployment's signed data manifests: the
 * deployment must exist and list the path, and every step that reads the
 * input must be placed on it (an error naming the input, the step and both
 * deployments — steps are not moved silently). Each such input's value gets
 * the manifest's SHA-256, which is then its resume hash and what the receipt
 * records; the master never reads the file.
 */
import { InputError } from '../errors.js';
import { inPlaceRef } from '../workflow/in-place.js';
import type { PortValue, Step, Workflow } from '../workflow/model.js';
import type { DataEntry } from './config/data-deployment.js';
import type { Deployment } from './config/run-config.js';

/** An admitted in-place input, by its id (`<deployment>:<path>`). */
export interface DataInput extends DataEntry {
  readonly deployment: string;
  /** The public key that signed its manifest (ed25519:…). */
  readonly signer: string;
}

function mapFiles(v: PortValue, f: (file: { class: 'File'; path: string }) => PortValue): PortValue {
  if (Array.isArray(v)) return v.map((x: PortValue) => mapFiles(x, f));
  if (v !== null && typeof v === 'object' && (v as { class?: unknown }).class === 'File' && typeof (v as { path?: unknown }).path === 'string') return f(v as { class: 'File'; path: string });
  return v;
}

export function resolveDataInputs(
  workflow: Workflow,
  inputs: Record<string, PortValue>,
  deployments: readonly Deployment[],
  placement: (s: Step) => string,
  encrypt: boolean,
): { inputs: Record<string, PortValue>; data: Map<string, DataInput> } {
  const data = new Map<string, DataInput>();
  const out: Record<string, PortValue> = {};
  for (const [name, value] of Object.entries(inputs)) {
    out[name] = mapFiles(value, (file) => {
      const ref = inPlaceRef(file.path);
      if (!ref) return file;
      const at = `input '${name}' ({ deployment: ${ref.deployment}, path: ${ref.path} })`;
      if (!encrypt) throw new InputError(`${at}: a file already on a deployment's hosts is age ciphertext; it cannot be used with --no-encrypt.`);
      const d = deployments.find((x) => x.id === ref.deployment);
      if (!d) throw new InputError(`${at}: there is no deployment ${ref.deployment} in the run configuration (declared: ${deployments.map((x) => x.id).join(', ')}).`);
      if (!d.data) throw new InputError(`${at}: deployment ${d.id} names no data manifest; add 'data: { manifest: <file>, signer: <owner's public key> }' to it (${d.loc.file}:${d.loc.line}).`);
      const entry = d.data.entries.get(ref.path);
      if (!entry) throw new InputError(`${at}: ${ref.path} is not listed in deployment ${d.id}'s data manifest${new Set([...d.data.entries.values()].map((e) => e.manifest)).size > 1 ? 's' : ''}; add it with \`sealflow manifest add\` on the host and sign the manifest again.`);
      for (const s of workflow.steps) {
        if (!s.inputs.some((i) => i.sources.some((r) => r.kind === 'workflow-input' && r.input === name))) continue;
        const on = placement(s);
        if (on !== d.id) throw new InputError(`${at}: step ${s.id} reads it but is placed on deployment ${on}; the file is only on deployment ${d.id}'s hosts — bind the step there ('- { step: ${s.id}, deployment: ${d.id} }').`);
      }
      if (workflow.outputs.some((o) => o.sources.some((r) => r.kind === 'workflow-input' && r.input === name))) {
        throw new InputError(`${at}: a workflow output is this input itself; a file on a deployment's hosts is never copied to the master.`);
      }
      data.set(file.path, { ...entry, deployment: d.id, signer: d.data.signer });
      return { class: 'File', path: file.path, sha256: entry.sha256, size: entry.size };
    });
  }
  return { inputs: out, data };
}
