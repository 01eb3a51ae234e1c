/**
 * A deployment's sizing overrides (`enclaveSize`, `threadSlots`, `edmm`,
 * `scratch` in sealflow.yaml) and the check, before a run starts, that every
 * step placed on an SGX deployment can run with them (docs/tee-platforms.md
 * "Sizing"). Input sizes are not known when the configuration loads, so this
 * check covers threads and memory; `sealflow tee plan --input-bytes` covers inputs.
 */
import type { Step } from '../workflow/model.js';
import type { PlatformName } from './platform.js';
import { deriveSizing, parseSize, SizingError, type SgxLibOs, type SizingOverrides } from './sizing.js';

export const SIZING_OPTION_KEYS: readonly string[] = ['enclaveSize', 'threadSlots', 'edmm', 'scratch'];
const SGX: readonly PlatformName[] = ['gramine', 'occlum', 'sgx-lkl'];

export type DeploymentSizing = SizingOverrides & { readonly scratch?: 'memory' | 'encrypted' };

/** The overrides of a deployment's options; throws SizingError naming the key. */
export function sizingOverrides(platform: PlatformName, options: Readonly<Record<string, unknown>>): DeploymentSizing {
  const present = SIZING_OPTION_KEYS.filter((k) => options[k] !== undefined);
  if (present.length === 0) return {};
  if (!SGX.includes(platform)) throw new SizingError(`${present.join(', ')} size an SGX enclave; platform ${platform} has none (remove ${present.length > 1 ? 'them' : 'it'})`);
  const o: { enclaveSize?: number; threadSlots?: number; edmm?: boolean; scratch?: 'memory' | 'encrypted' } = {};
  if (options['enclaveSize'] !== undefined) o.enclaveSize = parseSize(options['enclaveSize'], 'enclaveSize');
  const t = options['threadSlots'];
  if (t !== undefined) {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1) throw new SizingError(`threadSlots: ${JSON.stringify(t)} is not a positive integer`);
    o.threadSlots = t;
  }
  const e = options['edmm'];
  if (e !== undefined) {
    if (typeof e !== 'boolean') throw new SizingError(`edmm: ${JSON.stringify(e)} is not true or false`);
    o.edmm = e;
  }
  const s = options['scratch'];
  if (s !== undefined) {
    if (s !== 'memory' && s !== 'encrypted') throw new SizingError(`scratch: ${JSON.stringify(s)} is not memory or encrypted`);
    o.scratch = s;
  }
  return o;
}

/** Throws SizingError if `step` cannot run on a deployment of `platform` with `options`. */
export function checkStepSizing(platform: PlatformName, options: Readonly<Record<string, unknown>>, step: Step): void {
  const o = sizingOverrides(platform, options);
  if (!SGX.includes(platform)) return;
  const r = step.requirements;
  deriveSizing({ libos: platform as SgxLibOs, threads: r.threads, ...(r.memory !== undefined ? { memory: r.memory } : {}), inputBytes: 0, scratch: o.scratch ?? 'memory', edmm: false }, o, `step ${step.id}`);
}
