/**
 * `sealflow report`: the page of one run, from its run directory (journal,
 * encrypted step logs, the receipt where it was published), written to a
 * file. Without the owner identity the page holds nothing secret and is
 * written 0644; with it, the tails of failed instances' stderr logs are
 * decrypted in memory and the input values and file names are added, the
 * page says so at its top, and it is written 0600.
 * The file appears whole or not at all (written beside, then renamed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { decrypt, type Identity } from '../crypto/index.js';
import { readIdentityFile } from '../crypto/keyfile.js';
import { InputError } from '../errors.js';
import { readJournal } from '../engine/journal.js';
import { readPublication } from '../engine/publication.js';
import { RunDir } from '../engine/run-dir.js';
import { RECEIPT_FILE } from '../master/receipt/model.js';
import { verifyReceiptBytes } from '../master/receipt/signature.js';
import { renderPage, type PageData } from './html.js';
import type { RunEvent } from '../engine/events.js';
import { buildModel, fileLabeler, type ReportModel } from './model.js';

/** How many bytes of a stderr log's end the report shows. */
export const STDERR_TAIL_BYTES = 4096;

export interface ReportSource {
  /** The run's directory (journal.jsonl, logs/). */
  readonly dir: string;
  readonly runId: string;
  /** receipt.json, if there is one. */
  readonly receipt?: string;
}

/** Where a run of a state directory keeps what the report reads. */
export function runSource(stateDir: string, runId: string): ReportSource {
  const run = new RunDir(stateDir, runId);
  if (!run.exists()) throw new InputError(`no run ${runId} in ${stateDir} (see \`sealflow runs\`; give --state-dir if it was run elsewhere)`);
  const published = readPublication(run);
  const receipt = path.join(published?.dir ?? run.outputs, RECEIPT_FILE);
  return { dir: run.root, runId, ...(fs.existsSync(receipt) ? { receipt } : {}) };
}

export function modelOf(src: ReportSource): ReportModel {
  const file = path.join(src.dir, 'journal.jsonl');
  let j;
  try {
    j = readJournal(file);
  } catch (e) {
    throw new InputError(`cannot read the journal ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return buildModel(src.runId, j.events, j.tornTail);
}

/** The receipt's status line: signature checked against the receipt's own key and the pin it names (the owner checks the pin with `sealflow receipt verify`). */
function receiptStatus(file: string | undefined): { status: string } | undefined {
  if (file === undefined) return undefined;
  try {
    const bytes = fs.readFileSync(file);
    const parsed = JSON.parse(bytes.toString('utf8')) as { receipt?: { master?: { pin?: unknown } } };
    const pin = parsed.receipt?.master?.pin;
    if (typeof pin !== 'string') return { status: 'present but not a sealflow receipt' };
    verifyReceiptBytes(bytes, { pin });
    return { status: `signed, signature valid, by the master with pin ${pin} (check that pin is the one you trust: sealflow receipt verify)` };
  } catch (e) {
    return { status: `REFUSED: ${(e as Error).message}` };
  }
}

async function tail(file: string, ids: readonly Identity[]): Promise<string | null> {
  if (!fs.existsSync(file)) return null;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of decrypt(ids, fs.readFileSync(file))) {
    parts.push(Buffer.from(c as Uint8Array));
    size += (c as Uint8Array).length;
    while (parts.length > 1 && size - (parts[0] as Buffer).length >= STDERR_TAIL_BYTES) size -= (parts.shift() as Buffer).length;
  }
  const all = Buffer.concat(parts);
  return all.subarray(Math.max(0, all.length - STDERR_TAIL_BYTES)).toString('utf8');
}

/** The stderr tails of the failed instances, decrypted with the owner identity. */
async function stderrTails(src: ReportSource, model: ReportModel, identityFile: string): Promise<Record<string, string>> {
  let ids: Identity[];
  try {
    ids = await readIdentityFile(identityFile);
  } catch (e) {
    throw new InputError(`--identity ${identityFile}: ${(e as Error).message}`);
  }
  const out: Record<string, string> = {};
  for (const a of model.attempts) {
    if (a.state !== 'failed' && a.state !== 'retried' && a.state !== 'lost') continue;
    const key = `${a.session}:${a.step}[${a.index}]`;
    if (key in out) continue;
    const base = path.join(src.dir, 'logs', a.step, String(a.index));
    if (path.relative(path.join(src.dir, 'logs'), base).startsWith('..')) continue; // a step id from a damaged journal
    try {
      const t = (await tail(`${base}.err.age`, ids)) ?? (fs.existsSync(`${base}.err`) ? fs.readFileSync(`${base}.err`).subarray(-STDERR_TAIL_BYTES).toString('utf8') : null);
      if (t !== null) out[key] = t;
    } catch (e) {
      out[key] = `(could not decrypt ${base}.err.age with ${identityFile}: ${(e as Error).message})`;
    }
  }
  return out;
}

/**
 * The owner's view of the inputs: each workflow input's value as the journal
 * recorded it (a file by its base name), and each input file label of the key
 * releases (`input 1`) with the file name its id holds.
 */
function ownerInputs(events: readonly RunEvent[], model: ReportModel): { inputs: Record<string, string>; fileNames: Record<string, string> } {
  const inputs: Record<string, string> = {};
  const started = events.find((e) => e.type === 'run-started');
  const show = (v: unknown): string => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { path?: unknown }).path === 'string') return path.basename((v as { path: string }).path);
    return Array.isArray(v) ? `[${v.map(show).join(', ')}]` : JSON.stringify(v) ?? 'null';
  };
  if (started?.type === 'run-started') for (const [k, v] of Object.entries(started.inputs ?? {})) inputs[k] = show(v);
  const label = fileLabeler(started?.type === 'run-started' ? started.steps ?? model.steps : model.steps);
  const fileNames: Record<string, string> = {};
  for (const e of events) {
    if (e.type !== 'wcpac' || e.decision?.type !== 'key-release' || !Array.isArray(e.decision.files)) continue;
    for (const f of e.decision.files) {
      if (typeof f?.id !== 'string' || typeof f.sha256 !== 'string') continue;
      const l = label(f.id, f.sha256);
      if (l.startsWith('input ')) fileNames[l] = path.basename(f.id).replace(/\.age$/, '');
    }
  }
  return { inputs, fileNames };
}

export interface ReportOptions {
  /** The owner identity file: include decrypted stderr tails. */
  readonly identity?: string;
}

export async function reportData(src: ReportSource, o: ReportOptions = {}): Promise<PageData> {
  const model = modelOf(src);
  const receipt = receiptStatus(src.receipt);
  if (o.identity === undefined) return { ...model, ...(receipt ? { receipt } : {}) };
  const stderr = await stderrTails(src, model, o.identity);
  const { inputs, fileNames } = ownerInputs(readJournal(path.join(src.dir, 'journal.jsonl')).events, model);
  return { ...model, ...(receipt ? { receipt } : {}), private: { identityFile: path.basename(o.identity), stderr, inputs, fileNames } };
}

/** Writes the page to `out` atomically: 0600 when it holds decrypted content, else 0644. */
export function writeReport(out: string, html: string, holdsSecrets: boolean): void {
  const dir = path.dirname(path.resolve(out));
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`-o ${out}: directory ${dir} does not exist`);
  const tmp = path.join(dir, `.${path.basename(out)}.${process.pid}.tmp`);
  const mode = holdsSecrets ? 0o600 : 0o644;
  try {
    fs.writeFileSync(tmp, html, { mode, flag: 'wx' });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new InputError(`cannot write the report ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** `sealflow report`: builds and writes the page; returns what it wrote. */
export async function writeRunReport(src: ReportSource, out: string, o: ReportOptions = {}): Promise<{ file: string; bytes: number; private: boolean }> {
  const data = await reportData(src, o);
  const html = renderPage(data);
  writeReport(out, html, data.private !== undefined);
  return { file: out, bytes: Buffer.byteLength(html), private: data.private !== undefined };
}
