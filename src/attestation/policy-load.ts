/**
 * Load an attestation policy from YAML (format: docs/attestation-policy.md).
 * Every error says file:line:column, what was wrong and what to do; an
 * unknown key suggests the nearest valid one. The result is a complete
 * `AttestationPolicy` (defaults filled in by `definePolicy`).
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import { InputError, formatLocation } from '../errors.js';
import { nearest } from '../suggest.js';
import { definePolicy, type AttestationPolicy, type PolicyInput } from './policy.js';
import { TOO_DEEP, yamlTooDeepAt } from '../yaml-depth.js';

type Field =
  | { readonly kind: 'bool' }
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'string' }
  | { readonly kind: 'hex'; readonly bytes: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'list'; readonly item: Field }
  | { readonly kind: 'map'; readonly fields: Readonly<Record<string, Field>>; readonly required?: readonly string[] };

const bool: Field = { kind: 'bool' };
const int = (min: number, max: number): Field => ({ kind: 'int', min, max });
const hex = (bytes: number): Field => ({ kind: 'hex', bytes });
const list = (item: Field): Field => ({ kind: 'list', item });
const map = (fields: Record<string, Field>, required?: readonly string[]): Field => ({ kind: 'map', fields, ...(required ? { required } : {}) });
const TCB_STATUSES = ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded', 'Revoked'] as const;
const spl = int(0, 255);

export const POLICY_SCHEMA: Field = map({
  allowSimulated: bool,
  allowUnattested: bool,
  allowRemoteSimulation: bool,
  maxCollateralAgeDays: int(0, 3650),
  'sev-snp': map({
    measurements: list(hex(48)),
    hostData: list(hex(32)),
    minTcb: map({ bootloader: spl, tee: spl, snp: spl, microcode: spl, fmc: spl }),
    minGuestSvn: int(0, 0xffffffff),
    allowDebug: bool,
    allowMigrationAgent: bool,
    allowSmt: bool,
    maxVmpl: int(0, 3),
  }),
  tdx: map({
    measurements: list(map({ mrtd: hex(48), rtmr0: hex(48), rtmr1: hex(48), rtmr2: hex(48), rtmr3: hex(48), mrConfigId: hex(48) }, ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'])),
    acceptedTcbStatuses: list({ kind: 'enum', values: TCB_STATUSES }),
    allowDebug: bool,
  }),
  sgx: map({
    mrEnclaves: list(hex(32)),
    signers: list(map({ name: { kind: 'string' }, mrSigner: hex(32), prodId: int(0, 0xffff), minSvn: int(0, 0xffff) }, ['name', 'mrSigner', 'prodId', 'minSvn'])),
    acceptedTcbStatuses: list({ kind: 'enum', values: TCB_STATUSES }),
    allowDebug: bool,
  }),
  sim: map({ measurements: list(hex(48)), allowDebug: bool }),
});

class Walker {
  readonly errors: string[] = [];
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  /** A scalar as written: digits-only hex like 0123 must not become the number 123. */
  private source(node: Node | null | undefined): string {
    if (!isScalar(node)) return '';
    if (node.type === 'PLAIN' && node.range) return this.text.slice(node.range[0], node.range[1]).trim();
    return String(node.value);
  }

  private at(node: Node | null | undefined): string {
    const off = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(off);
    return formatLocation({ file: this.file, line, column: col });
  }

  private fail(node: Node | null | undefined, msg: string): undefined {
    this.errors.push(`${this.at(node)}: ${msg}`);
    return undefined;
  }

  walk(node: Node | null | undefined, f: Field, path: string): unknown {
    switch (f.kind) {
      case 'map': {
        // An empty section (`sev-snp:` with nothing under it) is that section's defaults.
        if (path !== '' && (node === null || node === undefined || (isScalar(node) && node.value === null)) && !f.required) return {};
        if (!isMap(node)) return this.fail(node, `${path || 'the policy'} must be a mapping of keys to values`);
        const out: Record<string, unknown> = {};
        const names = Object.keys(f.fields);
        for (const pair of node.items) {
          const keyNode = pair.key as Node | null;
          const key = isScalar(keyNode) ? String(keyNode.value) : '';
          const sub = f.fields[key];
          const where = path ? `${path}.${key}` : key;
          if (!sub) {
            const near = nearest(key, names);
            this.fail(keyNode, `unknown key "${where}"${near ? `; did you mean "${near}"?` : `; valid keys here: ${names.join(', ')}`}`);
            continue;
          }
          const v = this.walk(pair.value as Node | null, sub, where);
          if (v !== undefined) out[key] = v;
        }
        for (const r of f.required ?? []) if (!node.items.some((p) => isScalar(p.key) && p.key.value === r)) this.fail(node, `${path} needs "${r}"`);
        return out;
      }
      case 'list': {
        if (!isSeq(node)) return this.fail(node, `${path} must be a list`);
        return node.items.map((item, i) => this.walk(item as Node | null, f.item, `${path}[${i}]`)).filter((v) => v !== undefined);
      }
      case 'bool':
        return isScalar(node) && typeof node.value === 'boolean' ? node.value : this.fail(node, `${path} must be true or false`);
      case 'int':
        return isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value) && node.value >= f.min && node.value <= f.max
          ? node.value
          : this.fail(node, `${path} must be an integer from ${f.min} to ${f.max}`);
      case 'string':
        return isScalar(node) && typeof node.value === 'string' && node.value.trim() !== '' ? node.value : this.fail(node, `${path} must be a non-empty string`);
      case 'hex': {
        const v = this.source(node);
        return new RegExp(`^[0-9a-fA-F]{${f.bytes * 2}}$`).test(v) ? v.toLowerCase() : this.fail(node, `${path} must be ${f.bytes} bytes of hex (${f.bytes * 2} hex digits)${v ? `, got ${v.length} characters` : ''}`);
      }
      case 'enum': {
        const v = isScalar(node) ? String(node.value) : '';
        if (f.values.includes(v)) return v;
        const near = nearest(v, f.values);
        return this.fail(node, `${path}: "${v}" is not one of ${f.values.join(', ')}${near ? `; did you mean "${near}"?` : ''}`);
      }
    }
  }
}

/** Parse policy YAML text; `file` names it in messages. Throws InputError listing every problem. */
export function parsePolicy(text: string, file: string): AttestationPolicy {
  const lines = new LineCounter();
  // Before the parser, which recurses once per level (src/yaml-depth.ts).
  const deep = yamlTooDeepAt(text);
  if (deep >= 0) {
    const { line, col } = lineColumn(text, deep);
    throw new InputError(`invalid attestation policy:\n  ${formatLocation({ file, line, column: col })}: ${TOO_DEEP}\nSee docs/attestation-policy.md for the format.`);
  }
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // Only if the pre-scan ever under-counts a construct: still the user's error, not a crash.
    if (e instanceof RangeError) throw new InputError(`invalid attestation policy:\n  ${formatLocation({ file, line: 1, column: 1 })}: ${TOO_DEEP}\nSee docs/attestation-policy.md for the format.`);
    throw e;
  }
  const walker = new Walker(file, lines, text);
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    walker.errors.push(`${formatLocation({ file, line, column: col })}: ${e.message.split('\n')[0]}`);
  }
  // An empty file is the default policy, which refuses everything.
  const value = walker.errors.length === 0 && doc.contents !== null ? walker.walk(doc.contents as Node | null, POLICY_SCHEMA, '') : {};
  if (walker.errors.length > 0) {
    throw new InputError(`invalid attestation policy:\n  ${walker.errors.slice(0, 20).join('\n  ')}\nSee docs/attestation-policy.md for the format.`);
  }
  return definePolicy(value as PolicyInput);
}

function lineColumn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, col: offset - nl };
}

export function loadPolicy(path: string): AttestationPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the policy file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parsePolicy(text, path);
}
