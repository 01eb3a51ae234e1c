/**
 * Per-step file-key release (docs/protocol.md §8). The master unwraps each
 * input's age file key from its header with its own identities and wraps it
 * to the attested X25519 key of the one worker whose assigned step reads the
 * file — after checking the worker, its platform against the step's `tee`,
 * and the recorded hash of every input ciphertext. Journalled: file ids and
 * ciphertext hashes, never key bytes.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { readFileHeader, type Header } from '../../crypto/filekey.js';
import { fileKeyOf, type FileOrigin } from './file-keys.js';
import { recordedHeader, rememberHeader } from './recorded.js';
import { fileSource } from '../../crypto/io.js';
import type { TeeRequirement } from '../../workflow/model.js';
import { fileKeySealer, type FileKeySealer } from '../../protocol/wcpac-crypto.js';
import type { KeyBroker } from './broker.js';
import { BrokerRefusal, type AttestedWorker } from './types.js';

export interface StepInput {
  /** The file's id in the run (e.g. `input:reads` or `step[0]/out`). */
  readonly id: string;
  /** Where the master holds the ciphertext (its header is read from it). */
  readonly path: string;
}

export interface StepKeyRequest {
  /** The step attempt, as assigned (`step[index]#attempt`). */
  readonly step: string;
  readonly tee: TeeRequirement;
  readonly inputs: readonly StepInput[];
  /** The worker's epoch when the step was assigned. */
  readonly epoch: number;
}

export interface ReleasedKey {
  readonly id: string;
  readonly sha256: string;
  /** The 16-byte file key sealed under the release's one derived key, bound to the step and `sha256` (§7.1). */
  readonly wrappedKey: Buffer;
}

/** One release (§8): all of a step's file keys under one X25519 exchange with the worker's key (§7.1). */
export interface Release {
  /** The ephemeral public key E of the release; null when the step reads no file (nothing was wrapped). */
  readonly keyShare: Buffer | null;
  readonly keys: ReleasedKey[];
}

/**
 * Records a ciphertext's SHA-256 when it is produced (or when an input is
 * admitted) and, if given, the age header parsed from the bytes that were
 * hashed: releases then use it without re-reading the file (§8.1, recorded.ts).
 * `origin` (owner input or worker output) decides which identity may ever
 * unwrap its key (§16.3).
 */
export function recordCiphertext(broker: KeyBroker, origin: FileOrigin, id: string, sha256: string, header?: Header | null): void {
  broker.hashes.set(id, sha256.toLowerCase());
  broker.origins.set(id, origin);
  rememberHeader(broker, id, sha256, header);
}

/** Assigns a step attempt to a worker; only assigned steps get keys. */
export function assignStep(broker: KeyBroker, slot: string, step: string): void {
  const set = broker.assignments.get(slot) ?? new Set<string>();
  set.add(step);
  broker.assignments.set(slot, set);
}

/** Whether the worker's attested platform satisfies `tee`; `simulated` when only the policy's allowSimulated makes it so. */
export function teeSatisfied(w: AttestedWorker, tee: TeeRequirement, allowSimulated: boolean): { ok: boolean; simulated: boolean } {
  if (tee === 'none') return { ok: true, simulated: false };
  if (w.claims === null) return { ok: false, simulated: false };
  if (w.claims.platform === 'sim') return { ok: allowSimulated, simulated: true };
  if (tee === 'any') return { ok: true, simulated: false };
  return { ok: w.claims.platform === tee, simulated: false };
}

async function hashAndHeader(path: string): Promise<{ sha256: string; header: Awaited<ReturnType<typeof readFileHeader>>['header'] }> {
  const fh = await open(path, 'r');
  try {
    const h = createHash('sha256');
    for await (const chunk of fh.createReadStream({ autoClose: false })) h.update(chunk as Buffer);
    const fh2 = await open(path, 'r');
    try {
      return { sha256: h.digest('hex'), header: (await readFileHeader(fileSource(fh2))).header };
    } finally {
      await fh2.close();
    }
  } finally {
    await fh.close();
  }
}

function check(broker: KeyBroker, slot: string, req: StepKeyRequest): { worker: AttestedWorker; simulated: boolean } {
  const w = broker.workers.get(slot);
  if (!w) throw new BrokerRefusal('not-attested', `worker ${slot} is not attested`);
  if (!w.alive) throw new BrokerRefusal('worker-dead', `worker ${slot} was declared dead; its certificate is revoked`);
  if (req.epoch !== w.epoch) throw new BrokerRefusal('stale-epoch', `the assignment is from epoch ${req.epoch}, worker ${slot} is in epoch ${w.epoch}`);
  if (!broker.assignments.get(slot)?.has(req.step)) throw new BrokerRefusal('not-assigned', `step ${req.step} is not assigned to worker ${slot}`);
  const t = teeSatisfied(w, req.tee, (w.policy ?? broker.opts.policy).allowSimulated);
  if (!t.ok) throw new BrokerRefusal('tee-unsatisfied', `worker ${slot} (${w.claims?.platform ?? 'platform none, no TEE'}) does not satisfy tee: ${req.tee} of step ${req.step}${t.simulated ? ' (the policy does not allow simulation)' : ''}`);
  return { worker: w, simulated: t.simulated };
}

/** Keys released between two turns of the event loop (each may need an unwrap, an X25519 exchange, ~0.3 ms). */
const RELEASE_TURN = 64;

/** §8: the file keys of exactly `req.inputs`, sealed under one exchange (§7.1), or a BrokerRefusal (journalled either way). */
export async function releaseFileKeys(broker: KeyBroker, slot: string, req: StepKeyRequest): Promise<Release> {
  let sealer: FileKeySealer | undefined;
  try {
    const { worker, simulated } = check(broker, slot, req);
    const out: ReleasedKey[] = [];
    for (const [i, input] of req.inputs.entries()) {
      // A step with thousands of inputs (a gather) wraps for seconds: give heartbeats and other workers a turn.
      if (i % RELEASE_TURN === RELEASE_TURN - 1) await new Promise((resolve) => setImmediate(resolve));
      const recorded = broker.hashes.get(input.id);
      const origin = broker.origins.get(input.id);
      if (recorded === undefined || origin === undefined) throw new BrokerRefusal('hash-unrecorded', `no ciphertext hash is recorded for ${input.id}`);
      const known = recordedHeader(broker, input.id, recorded);
      const { sha256, header } = known ? { sha256: recorded, header: known } : await hashAndHeader(input.path);
      if (sha256 !== recorded) throw new BrokerRefusal('hash-mismatch', `${input.id}: the ciphertext's SHA-256 ${sha256} is not the recorded ${recorded}`);
      const fileKey = fileKeyOf(broker, input.id, sha256, header, origin, broker.opts.identities); // once per recorded ciphertext, by its origin's identity only (§8.2, §16.3)
      sealer ??= fileKeySealer(worker.x25519);
      out.push({ id: input.id, sha256, wrappedKey: sealer.seal(req.step, sha256, fileKey) });
      fileKey.fill(0);
    }
    // Hashing took time: the worker may have been declared dead meanwhile (§12.1). Check again; nothing is awaited after this.
    check(broker, slot, req);
    broker.opts.record({ type: 'key-release', decision: 'released', worker: slot, step: req.step, files: out.map((k) => ({ id: k.id, sha256: k.sha256 })), ...(simulated ? { simulated: true } : {}), ...(worker.unattested !== undefined ? { unattested: worker.unattested } : {}) });
    return { keyShare: sealer?.share ?? null, keys: out };
  } catch (err) {
    const reason = err instanceof BrokerRefusal ? err.reason : 'error';
    broker.opts.record({ type: 'key-release', decision: 'refused', worker: slot, step: req.step, reason, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    sealer?.dispose();
  }
}
