/**
 * What the receipt needs from disk: SHA-256 of files (streamed), whether a
 * file is an age file, the inputs and the published outputs as receipt
 * entries, and the key broker's decisions for a run.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { inPlaceRef } from '../../workflow/in-place.js';
import path from 'node:path';
import { defaultMasterDir } from '../../crypto/master-key.js';
import type { PortValue } from '../../workflow/model.js';
import type { BrokerDecision } from '../broker/types.js';
import type { JournalRecord } from './journal.js';
import { PLAIN_INPUT, type ReceiptInput, type ReceiptOutput } from './model.js';

const AGE_BINARY = Buffer.from('age-encryption.org/v1\n');
const AGE_ARMOR = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----');

export async function sha256File(file: string): Promise<{ sha256: string; size: number; encrypted: boolean }> {
  const h = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    if (head.length < AGE_ARMOR.length) head = Buffer.concat([head, b.subarray(0, AGE_ARMOR.length - head.length)]);
    h.update(b);
    size += b.length;
  }
  return { sha256: h.digest('hex'), size, encrypted: isAgeHead(head) };
}

export function isAgeHead(head: Buffer): boolean {
  return head.subarray(0, AGE_BINARY.length).equals(AGE_BINARY) || head.subarray(0, AGE_ARMOR.length).equals(AGE_ARMOR);
}

function isFileRef(v: unknown): v is { class: 'File' | 'Directory'; path: string } {
  const o = v as { class?: unknown; path?: unknown } | null;
  return typeof o === 'object' && o !== null && (o.class === 'File' || o.class === 'Directory') && typeof o.path === 'string';
}

/** Every file or directory in a value, with its port name (`name`, `name[i]`). */
function refs(name: string, v: PortValue | unknown, out: { name: string; ref: { class: 'File' | 'Directory'; path: string } }[]): void {
  if (isFileRef(v)) out.push({ name, ref: v });
  else if (Array.isArray(v)) v.forEach((x, i) => refs(`${name}[${i}]`, x, out));
  // Files inside records (CWL record ports, a CWL file with its secondary files): `port.field`.
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) refs(`${name}.${k}`, x, out);
}

export interface InputRef {
  readonly name: string;
  readonly path: string;
  readonly kind: 'age' | 'plain' | 'directory' | 'in-place';
  /** In place: the SHA-256 its signed data manifest records, and that manifest's signer. */
  readonly sha256?: string;
  readonly signer?: string;
}

/** The input files and directories of a run, and which are age files (read before the run starts). */
export function scanInputs(inputs: Readonly<Record<string, PortValue>>, dataSigners?: ReadonlyMap<string, string>): InputRef[] {
  const found: { name: string; ref: { class: 'File' | 'Directory'; path: string } }[] = [];
  for (const [k, v] of Object.entries(inputs)) refs(k, v, found);
  return found.map(({ name, ref }) => {
    if (ref.class === 'Directory') return { name, path: ref.path, kind: 'directory' };
    const recorded = (ref as { sha256?: unknown }).sha256;
    const signer = dataSigners?.get(ref.path);
    if (inPlaceRef(ref.path)) return { name, path: ref.path, kind: 'in-place', ...(typeof recorded === 'string' ? { sha256: recorded } : {}), ...(signer !== undefined ? { signer } : {}) }; // on a deployment's hosts: never opened here
    const fd = fs.openSync(ref.path, 'r');
    const head = Buffer.alloc(AGE_ARMOR.length);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    return { name, path: ref.path, kind: isAgeHead(head.subarray(0, n)) ? 'age' : 'plain' };
  });
}

/**
 * The inputs as the receipt states them: an age file by its ciphertext's
 * SHA-256 as the key broker recorded it (hashed here only if no step read
 * it); a plaintext file the master encrypted to the broker by that
 * ciphertext's hash, from the key-release log; any other plaintext file by
 * name only (DESIGN.md: never a plain hash of guessable content).
 */
export async function receiptInputs(refs: readonly InputRef[], decisions: readonly BrokerDecision[]): Promise<ReceiptInput[]> {
  const released = new Map<string, string>();
  for (const d of decisions) if (d.type === 'key-release' && d.files) for (const f of d.files) released.set(f.id, f.sha256);
  const out: ReceiptInput[] = [];
  for (const r of refs) {
    const file = path.basename(r.path);
    if (r.kind === 'directory') {
      // §10.1: the master sealed its tar stream to the broker before any worker saw it.
      const sealed = [...released].find(([id]) => path.basename(id) === `${file}.tar.age` && path.basename(path.dirname(id)).startsWith('input-'));
      if (sealed) out.push({ name: r.name, file, encrypted: true, ciphertextSha256: sealed[1], note: 'a plaintext directory; the master encrypted its tar stream to the broker recipient before any worker saw it (the hash is of that ciphertext; its files are not listed)' });
      else out.push({ name: r.name, file, encrypted: false, note: 'a directory: its files are not listed' });
    }
    else if (r.kind === 'in-place') {
      const at = inPlaceRef(r.path);
      out.push({ name: r.name, file: path.posix.basename(at?.path ?? r.path), encrypted: true, ...((released.get(r.path) ?? r.sha256) !== undefined ? { ciphertextSha256: (released.get(r.path) ?? r.sha256) as string } : {}), note: `already on deployment ${at?.deployment ?? '?'}'s hosts at ${at?.path ?? r.path}: admitted from the owner's data manifest signed by ${r.signer ?? 'the signer its deployment names'} (the hash is the one it records, checked by the worker before decrypting); never copied to the master` });
    }
    else if (r.kind === 'age') out.push({ name: r.name, file, encrypted: true, ciphertextSha256: released.get(r.path) ?? (await sha256File(r.path)).sha256 });
    else {
      const copy = [...released].find(([id]) => path.basename(id) === `${file}.age` && path.basename(path.dirname(id)).startsWith('input-'));
      if (copy) out.push({ name: r.name, file, encrypted: true, ciphertextSha256: copy[1], note: 'plaintext given; the master encrypted it to the broker recipient before any worker saw it (the hash is of that ciphertext)' });
      else out.push({ name: r.name, file, encrypted: false, note: PLAIN_INPUT });
    }
  }
  return out;
}

function posix(rel: string): string {
  return rel.split(path.sep).join('/');
}

/** The published outputs: each file (and each file inside a directory output) with its SHA-256; other values by name. */
export async function receiptOutputs(published: Readonly<Record<string, PortValue>>, outDir: string): Promise<{ outputs: ReceiptOutput[]; values: string[] }> {
  const outputs: ReceiptOutput[] = [];
  const values: string[] = [];
  const add = async (port: string, file: string) => {
    const h = await sha256File(file);
    outputs.push({ port, path: posix(path.relative(outDir, file)), sha256: h.sha256, size: h.size, encrypted: h.encrypted });
  };
  const walk = async (port: string, dir: string): Promise<void> => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(`${port}/${e.name}`, p);
      else if (e.isFile()) await add(`${port}/${e.name}`, p);
    }
  };
  for (const [k, v] of Object.entries(published)) {
    const found: { name: string; ref: { class: 'File' | 'Directory'; path: string } }[] = [];
    refs(k, v, found);
    if (found.length === 0 && v !== null) values.push(k);
    for (const { name, ref } of found) {
      if (ref.class === 'File' || fs.statSync(ref.path).isFile()) await add(name, ref.path); // a sealed directory is one age file
      else await walk(name, ref.path);
    }
  }
  return { outputs, values };
}

const DECISION_TYPES = new Set(['attestation', 'key-release', 'worker-revoked', 'exec-connection']);

const isDecision = (d: unknown): d is BrokerDecision => typeof d === 'object' && d !== null && DECISION_TYPES.has(String((d as { type?: unknown }).type));

/**
 * The key broker's decisions for a run: from the journal, where the engine
 * records each as a `{"type":"wcpac","decision":…}` event (docs/protocol.md
 * §10); else from the broker's own log of earlier versions
 * (`<SEALFLOW_HOME>/attestation/<run id>.jsonl`).
 */
export function brokerDecisions(runId: string, events: readonly JournalRecord[], env: NodeJS.ProcessEnv = process.env): BrokerDecision[] {
  const inJournal: BrokerDecision[] = [];
  for (const e of events as readonly unknown[]) {
    const w = e as { type?: unknown; decision?: unknown };
    if (w.type === 'wcpac' && isDecision(w.decision)) inJournal.push(w.decision);
    else if (isDecision(e)) inJournal.push(e);
  }
  if (inJournal.length > 0) return inJournal;
  const file = path.join(path.dirname(defaultMasterDir(env)), 'attestation', `${runId}.jsonl`);
  if (!fs.existsSync(file)) return [];
  const out: BrokerDecision[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const d = JSON.parse(line) as unknown;
      if (isDecision(d)) out.push(d);
    } catch {
      break; // a torn last line
    }
  }
  return out;
}
