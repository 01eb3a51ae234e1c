/**
 * What `sealflow run` says after a run succeeded, besides its outputs: how
 * the run was protected (no TEE / sim, not a TEE / not encrypted), which
 * worker was attested with what measurement, and — when the results are
 * encrypted to the local owner identity — a short decrypted preview of each
 * result with the commands that decrypt it in full. Reads only the journal
 * and the published outputs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt } from '../crypto/index.js';
import { readIdentityFile } from '../crypto/keyfile.js';
import type { RunEvent } from '../engine/events.js';
import type { PortValue } from '../workflow/model.js';

const AGE_MAGIC = 'age-encryption.org/v1\n';
const PREVIEW_BYTES = 64 * 1024;
const PREVIEW_LINES = 8;

/** `~/x` for paths under the home directory, else relative to cwd when shorter. */
export function shortPath(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  if (!rel.startsWith('..') && rel.length < p.length) return rel;
  const home = os.homedir();
  return p.startsWith(`${home}/`) ? `~/${p.slice(home.length + 1)}` : p;
}

/** "no TEE" / "not a TEE" / attested-worker lines from the run's journal. */
export function protectionLines(events: readonly RunEvent[], encrypted: boolean): string[] {
  const platforms = new Map<string, string>();
  for (const e of events) if (e.type === 'worker-started') platforms.set(e.worker, e.platform);
  const lines: string[] = [];
  const none = [...platforms].filter(([, p]) => p === 'none').map(([w]) => w);
  if (none.length > 0) {
    lines.push(
      encrypted
        ? `no TEE: ${none.join(', ')} ran on platform none — not attested, file keys released without evidence; data was encrypted at rest and in transit`
        : `no TEE, not encrypted: ${none.join(', ')} ran on platform none with --no-encrypt; inputs, intermediates and results are plaintext`,
    );
  }
  for (const e of events) {
    if (e.type !== 'wcpac' || e.decision.type !== 'attestation' || e.decision.decision !== 'accepted' || !e.decision.claims) continue;
    const c = e.decision.claims;
    lines.push(`attested: ${e.decision.slot ?? '?'} (deployment ${e.decision.deployment ?? '?'}) — ${c.platform} evidence${c.simulated ? ', simulated, NOT a TEE' : ''}, measurement ${c.measurement}`);
  }
  return lines;
}

function files(v: PortValue, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v as readonly PortValue[]) files(x, out);
  else if (v !== null && typeof v === 'object') {
    const o = v as { class?: unknown; path?: unknown };
    if (o.class === 'File' && typeof o.path === 'string') out.push(o.path);
  }
  return out;
}

function isAge(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(AGE_MAGIC.length);
      fs.readSync(fd, b, 0, b.length, 0);
      return b.toString('latin1') === AGE_MAGIC;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The first PREVIEW_BYTES of plaintext (each chunk authenticated before it is shown). */
async function plaintextPrefix(file: string, identityFile: string): Promise<Buffer> {
  const ids = await readIdentityFile(identityFile);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of decrypt(ids, fs.createReadStream(file))) {
    parts.push(Buffer.from(c as Uint8Array));
    size += (c as Uint8Array).length;
    if (size >= PREVIEW_BYTES) break;
  }
  return Buffer.concat(parts);
}

function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = line.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}

/**
 * For each published result encrypted to `identityFile`'s owner: a short
 * decrypted preview and how to decrypt it in full. Nothing is written.
 */
export async function decryptedPreview(outputs: Readonly<Record<string, PortValue>>, identityFile: string): Promise<string[]> {
  const lines: string[] = [];
  const id = shortPath(identityFile);
  for (const [name, v] of Object.entries(outputs)) {
    for (const file of files(v)) {
      if (!isAge(file)) continue;
      let prefix: Buffer;
      try {
        prefix = await plaintextPrefix(file, identityFile);
      } catch (e) {
        lines.push(`  ${name}: not decrypted for display (${e instanceof Error ? e.message : String(e)})`);
        continue;
      }
      const size = fs.statSync(file).size;
      const text = prefix.toString('utf8').split('\n');
      const whole = prefix.length < PREVIEW_BYTES;
      if (whole && text.at(-1) === '') text.pop();
      const shown = text.slice(0, PREVIEW_LINES);
      const more = !whole || text.length > PREVIEW_LINES;
      lines.push(`  ${name} (${shortPath(file)}, ${size} bytes encrypted), ${more ? `first ${shown.length} lines` : `${shown.length} line${shown.length === 1 ? '' : 's'}`}:`);
      for (const l of shown) lines.push(`    ${printable(l)}`);
      if (more) lines.push('    …');
    }
  }
  if (lines.length === 0) return [];
  const example = Object.values(outputs).flatMap((v) => files(v)).find(isAge) ?? '<file>';
  return [
    `results are encrypted to the owner; decrypted here for display only with ${id}:`,
    ...lines,
    `decrypt in full: sealflow decrypt -i ${id} -o ${path.basename(example).replace(/\.age$/, '')} ${shortPath(example)}   (or: age -d -i ${id} ${shortPath(example)})`,
  ];
}
