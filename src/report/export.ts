/**
 * `sealflow receipt export`: reads a succeeded run's receipt and journal,
 * builds the crate (crate.ts) and writes it. What sealflow protects (file
 * names, parameter values) goes in only with `--include-…` and the owner
 * identity, which must open one of the run's owner-encrypted outputs: a
 * key that is merely some identity does not unlock names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readHeaderOfFile, unwrapFileKey } from '../crypto/filekey.js';
import { readIdentityFile } from '../crypto/keyfile.js';
import { InputError } from '../errors.js';
import { readJournal } from '../engine/journal.js';
import type { SignedReceipt } from '../master/receipt/model.js';
import { ReceiptError, verifyReceiptBytes, type ExpectedMaster } from '../master/receipt/signature.js';
import type { ReportSource } from './build.js';
import { buildCrate, writeCrate } from './crate.js';

export interface ExportRequest {
  readonly src: ReportSource;
  /** Where the run's outputs are (the receipt's paths are relative to it). */
  readonly outputsDir: string;
  readonly dir: string;
  readonly expected: ExpectedMaster;
  readonly includeNames?: boolean;
  readonly includeValues?: boolean;
  readonly identity?: string;
  readonly version?: string;
}

/** Throws unless `identityFile` unwraps the file key of one of the run's outputs (encrypted to the owner). */
async function checkOwner(identityFile: string, outputs: readonly string[], outputsDir: string): Promise<void> {
  let ids;
  try {
    ids = await readIdentityFile(identityFile);
  } catch (e) {
    throw new InputError(`--identity ${identityFile}: ${(e as Error).message}`);
  }
  const present = outputs.map((p) => path.join(outputsDir, ...p.split('/'))).filter((f) => fs.existsSync(f));
  if (present.length === 0) throw new InputError(`--include-… needs the owner identity to open one of the run's encrypted outputs, and none is in ${outputsDir} (give --outputs DIR)`);
  for (const f of present) {
    try {
      unwrapFileKey(await readHeaderOfFile(f), ids);
      return;
    } catch {
      // try the next output
    }
  }
  throw new InputError(`--identity ${identityFile} does not open the run's outputs in ${outputsDir}: it is not the owner identity of this run, so names and values stay out of the crate`);
}

export async function exportCrate(q: ExportRequest): Promise<{ dir: string; receiptInCrate: boolean; actions: number }> {
  if (q.src.receipt === undefined) throw new InputError(`run ${q.src.runId} has no receipt (only a succeeded run has one): nothing to export`);
  const receiptText = fs.readFileSync(q.src.receipt, 'utf8');
  verifyReceiptBytes(Buffer.from(receiptText, 'utf8'), q.expected, q.src.receipt);
  const signed = JSON.parse(receiptText) as SignedReceipt;
  if ((q.includeNames || q.includeValues) && q.identity === undefined) throw new InputError('--include-names and --include-values need --identity (the owner identity): names and values are what sealflow protects');
  if (q.identity !== undefined && (q.includeNames || q.includeValues)) await checkOwner(q.identity, signed.receipt.outputs.filter((o) => o.encrypted).map((o) => o.path), q.outputsDir);
  if (fs.existsSync(q.dir) && fs.readdirSync(q.dir).length > 0) throw new InputError(`--ro-crate ${q.dir}: the directory is not empty (give a new one)`);
  const { events } = readJournal(path.join(q.src.dir, 'journal.jsonl'));
  const { metadata, withReceipt } = buildCrate(signed, receiptText, events, { ...(q.includeNames ? { includeNames: true } : {}), ...(q.includeValues ? { includeValues: true } : {}), ...(q.version ? { version: q.version } : {}) });
  try {
    writeCrate(q.dir, metadata, withReceipt ? receiptText : null, q.includeNames === true || q.includeValues === true);
  } catch (e) {
    throw new ReceiptError(`cannot write the crate in ${q.dir}: ${(e as Error).message}`);
  }
  const actions = (metadata as { '@graph': { '@type': unknown }[] })['@graph'].filter((n) => n['@type'] === 'CreateAction').length;
  return { dir: q.dir, receiptInCrate: withReceipt, actions };
}
