/**
 * The owner's checks (docs/protocol.md §14.4–§14.5): read and verify a
 * receipt file; check an output directory against it; check one ciphertext
 * before `sealflow decrypt` touches it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultMasterDir, readMasterPublic } from '../../crypto/master-key.js';
import { InputError } from '../../errors.js';
import { sha256File } from './collect.js';
import { expectedMaster } from './master-arg.js';
import type { Receipt, ReceiptOutput } from './model.js';
import { ReceiptError, verifyReceiptBytes, type ExpectedMaster } from './signature.js';

/** Reads and verifies `file`; unreadable -> InputError (exit 2), refused -> ReceiptError (exit 1). */
export function readVerifiedReceipt(file: string, expected: ExpectedMaster): Receipt {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read the receipt ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return verifyReceiptBytes(bytes, expected, file);
}

/** `--master-key KEY`, or the local master's public key when not given. */
export async function trustedMaster(arg: string | undefined): Promise<ExpectedMaster> {
  if (arg !== undefined) return expectedMaster(arg);
  const dir = defaultMasterDir();
  if (!fs.existsSync(path.join(dir, 'master.json'))) throw new InputError(`no --master-key given and no local master in ${dir}: give --master-key with the master's public key or pin ("sealflow master key" on the master prints them)`);
  return { pin: (await readMasterPublic(dir)).pin };
}

export interface OutputProblem {
  readonly output: ReceiptOutput;
  readonly problem: 'missing' | 'changed';
  readonly actual?: string;
}

/** Every output of `receipt` under `dir`, hashed; the ones that are missing or differ. */
export async function checkOutputs(receipt: Receipt, dir: string): Promise<OutputProblem[]> {
  const problems: OutputProblem[] = [];
  for (const o of receipt.outputs) {
    const file = path.join(dir, ...o.path.split('/'));
    if (o.path.split('/').includes('..') || path.isAbsolute(o.path)) throw new ReceiptError(`the receipt lists an output outside the output directory (${o.path})`);
    if (!fs.existsSync(file)) {
      problems.push({ output: o, problem: 'missing' });
      continue;
    }
    const h = await sha256File(file);
    if (h.sha256 !== o.sha256) problems.push({ output: o, problem: 'changed', actual: h.sha256 });
  }
  return problems;
}

export function describeProblem(p: OutputProblem, dir: string): string {
  const file = path.join(dir, ...p.output.path.split('/'));
  return p.problem === 'missing'
    ? `${file}: missing (output ${p.output.port} of the receipt)`
    : `${file}: does not match its hash in the receipt (SHA-256 ${p.actual}, receipt says ${p.output.sha256}; output ${p.output.port})`;
}

/**
 * For `sealflow decrypt --receipt`: verifies the receipt, then requires the
 * SHA-256 of `ciphertext` to be that of an output it lists — the one at the
 * same path relative to the receipt's directory when there is one. Throws
 * (nothing decrypted) otherwise; returns the matching output.
 */
export async function checkCiphertextAgainstReceipt(ciphertext: string | undefined, receiptFile: string, masterKey: string | undefined): Promise<ReceiptOutput> {
  if (ciphertext === undefined || ciphertext === '-') throw new InputError('--receipt needs the ciphertext as a file argument (standard input cannot be checked before decrypting)');
  const receipt = readVerifiedReceipt(receiptFile, await trustedMaster(masterKey));
  let actual: string;
  try {
    actual = (await sha256File(ciphertext)).sha256;
  } catch (e) {
    throw new InputError(`cannot read input file ${ciphertext}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const rel = path.relative(path.dirname(path.resolve(receiptFile)), path.resolve(ciphertext)).split(path.sep).join('/');
  const samePath = receipt.outputs.find((o) => o.path === rel);
  if (samePath && samePath.sha256 !== actual) {
    throw new ReceiptError(`${ciphertext} does not match its hash in the receipt (SHA-256 ${actual}, receipt says ${samePath.sha256} for output ${samePath.port}): refusing to decrypt a substituted or modified file`);
  }
  const match = samePath ?? receipt.outputs.find((o) => o.sha256 === actual);
  if (!match) throw new ReceiptError(`${ciphertext} (SHA-256 ${actual}) is not an output listed in the receipt ${receiptFile}: refusing to decrypt it`);
  return match;
}
