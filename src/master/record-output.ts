/**
 * What the master records for an attempt's outputs (docs/protocol.md §8.1,
 * §10.5, §16). The attested worker hashed each ciphertext as it wrote it and
 * reports the SHA-256 over its mTLS execution channel; the master records
 * that hash and reads only the file's first bytes, for the age header a
 * later key release unwraps the file key from. Re-hashing the whole file
 * would add nothing: the host could swap the file before the master's read
 * as easily as after it, and every consumer checks the bytes it decrypts
 * against the recorded (reported) hash first (§10).
 *
 * Nothing the worker says is taken on trust (§16): every output of the
 * message is checked first — ports it was asked for, at most
 * MAX_OUTPUT_FILES files, a well-formed hash, a file inside the attempt's
 * own output directory (output-rules.ts), an age header whose key only the
 * run identity unwraps and that the master has never seen — and only when
 * all pass is any of them recorded. A sealed value's key is checked the
 * same way. One refusal refuses the whole message.
 */
import type { Header } from '../crypto/filekey.js';
import { headerOfSmall } from '../crypto/oneshot.js';
import type { SucceededMsg } from '../protocol/execution.js';
import { isSealedValue, pathValues } from '../protocol/sealed-values.js';
import type { KeyBroker } from './broker/broker.js';
import { commitOutputKey, vetOutputKey, type VettedKey } from './broker/file-keys.js';
import { headerOf } from './broker/recorded.js';
import { recordCiphertext } from './broker/release.js';
import { BrokerRefusal } from './broker/types.js';
import { MAX_OUTPUT_FILES, ReportRefusal, readOutputPrefix, type AttemptOutDir } from './output-rules.js';

/** What the master assigned to one attempt: where its outputs must be and which ports it has. */
export interface AssignedAttempt {
  readonly dir: AttemptOutDir;
  readonly ports: ReadonlySet<string>;
}

/** An output that passed every check, ready to be recorded. */
interface Vetted {
  readonly id: string;
  readonly sha256: string;
  readonly header: Header;
  readonly key: VettedKey;
}

const SHA256 = /^[0-9a-f]{64}$/;

function sealedValues(v: unknown, out: string[] = []): string[] {
  if (v === null || typeof v !== 'object') return out;
  if (isSealedValue(v)) out.push(v.age);
  else for (const x of Array.isArray(v) ? v : Object.values(v)) sealedValues(x, out);
  return out;
}

/** A key refusal of file-keys.ts as an output refusal (`output-wrong-recipient`, `output-copied-file-key`, …). */
function asReportRefusal(e: unknown, what: string): never {
  if (e instanceof ReportRefusal) throw e;
  if (e instanceof BrokerRefusal) throw new ReportRefusal(`output-${e.reason}`, e.message);
  throw new ReportRefusal('output-not-age', `${what} is not an age file (${e instanceof Error ? e.message : String(e)})`);
}

/** Each output file's one reported hash; a file reported twice with two hashes, or without one, is refused. */
function reportedHashes(m: SucceededMsg): Map<string, string> {
  const files = pathValues(m.outputs);
  const hashes = new Map<string, string>();
  for (const f of files) {
    const sha = f['sha256'];
    const shown = JSON.stringify(f.path.slice(0, 200));
    if (typeof sha !== 'string' || !SHA256.test(sha)) throw new ReportRefusal('output-no-hash', `output ${shown} has no well-formed ciphertext SHA-256`);
    const had = hashes.get(f.path);
    if (had !== undefined && had !== sha) throw new ReportRefusal('output-conflicting-hash', `output ${shown} is reported twice with two different hashes`);
    hashes.set(f.path, sha);
  }
  return hashes;
}

/** How deep a port value may nest (arrays and records); deeper is refused before it is walked. */
export const MAX_OUTPUT_DEPTH = 64;

/** Refuses outputs that are not a record of port values nested at most MAX_OUTPUT_DEPTH deep (iteratively: no recursion on hostile input). */
function checkShape(outputs: unknown): void {
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) throw new ReportRefusal('output-shape', 'the outputs are not a record of port values');
  const stack: [unknown, number][] = [[outputs, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_OUTPUT_DEPTH) throw new ReportRefusal('output-shape', `the outputs nest deeper than ${MAX_OUTPUT_DEPTH} levels`);
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push([x, depth + 1]);
  }
}

/** What was recorded of one message: its output files, and each output's key digest (files by id, sealed values as `sealed value N`). */
export interface RecordedOutputs {
  readonly ids: string[];
  /** Journalled with the success, under its MAC: a resume restores the seen keys from them (§16.3, §13.2). */
  readonly keyDigests: Record<string, string>;
}

/** Checks every output of `m` (throws ReportRefusal), then records them all. */
export async function recordOutputs(broker: KeyBroker, m: SucceededMsg, attempt: AssignedAttempt | undefined): Promise<RecordedOutputs> {
  if (!attempt) throw new ReportRefusal('output-unassigned', `${m.id} was not assigned over this channel`);
  checkShape(m.outputs);
  for (const port of Object.keys(m.outputs)) if (!attempt.ports.has(port)) throw new ReportRefusal('output-undeclared-port', `output port ${JSON.stringify(port.slice(0, 100))} is not one of the step's ports`);
  const values = sealedValues(m.outputs);
  const count = pathValues(m.outputs).length + values.length;
  if (count > MAX_OUTPUT_FILES) throw new ReportRefusal('output-too-many', `${count} outputs reported; at most ${MAX_OUTPUT_FILES} per attempt`);
  const hashes = reportedHashes(m);
  const vetted: Vetted[] = [];
  const marks: VettedKey[] = [];
  const inBatch = new Set<string>();
  const vet = (header: Header, what: string): VettedKey => {
    let v: VettedKey;
    try {
      v = vetOutputKey(broker, what, header, broker.opts.identities);
    } catch (e) {
      asReportRefusal(e, what);
    }
    if (inBatch.has(v.fingerprint)) throw new ReportRefusal('output-copied-file-key', `${what} carries the file key of another output of the same message (a copied header)`);
    inBatch.add(v.fingerprint);
    return v;
  };
  try {
    for (const [file, sha256] of hashes) {
      if (broker.origins.get(file) === 'input') throw new ReportRefusal('output-is-input', `output ${file} is an owner input of the run`);
      const header = await headerOf(await readOutputPrefix(attempt.dir, file));
      if (!header) throw new ReportRefusal('output-not-age', `output ${file} does not start with an age header`);
      vetted.push({ id: file, sha256, header, key: vet(header, `output ${file}`) });
    }
    values.forEach((age, i) => {
      let header: Header;
      try {
        header = headerOfSmall(age);
      } catch (e) {
        asReportRefusal(e, `sealed value ${i + 1}`);
      }
      marks.push(vet(header, `sealed value ${i + 1}`));
    });
  } catch (e) {
    for (const v of [...vetted.map((x) => x.key), ...marks]) v.key.fill(0);
    throw e;
  }
  // Every output passed: record them all (nothing of a refused message is recorded, so nothing is released because of it).
  const keyDigests: Record<string, string> = {};
  for (const v of vetted) {
    recordCiphertext(broker, 'output', v.id, v.sha256, v.header);
    keyDigests[v.id] = v.key.fingerprint;
    commitOutputKey(broker, v.id, v.sha256, v.key);
  }
  marks.forEach((k, i) => {
    keyDigests[`sealed value ${i + 1}`] = k.fingerprint;
    commitOutputKey(broker, `${m.id} sealed value ${i + 1}`, '', k);
  });
  return { ids: vetted.map((v) => v.id), keyDigests };
}
