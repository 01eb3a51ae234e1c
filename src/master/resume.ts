/**
 * The engine's side of encrypted resume (docs/protocol.md §13.2). Once the
 * run directory and journal exist, `bindEncryptedRun`:
 *
 * - of a new encrypted run, writes the session's fresh run secrets into the
 *   run directory (run-secrets.ts) before any step runs;
 * - of a resumed one, checks that the session reuses the secrets found there;
 * - journals which secrets (key ids, never key bytes);
 * - restores the recorded ciphertext hashes of the outputs a resumed run may
 *   reuse (KeyBroker.hashes, from the journal's `step-succeeded` events), so
 *   their consumers are released keys only for, and check, exactly the
 *   ciphertexts the master saw produced. An earlier success whose ciphertext
 *   is missing or no longer hashes to the journalled value is not reused:
 *   that producer runs again (nothing partial or substituted is accepted);
 * - removes what a killed master of the run left in the temporary directory
 *   (its session directory: sealed bundle, launch configuration, inputs
 *   encrypted to the broker) — it could not clean up after SIGKILL;
 * - gives the engine the run hash key: every resume hash of an encrypted run
 *   is HMAC-SHA-256 under it (src/engine/hash.ts, whose MAC the engine hands in).
 *
 * Runs without attested workers get null: they keep plain SHA-256 hashes;
 * resuming an encrypted run that way is refused (InputError).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, OperationError } from '../errors.js';
import type { PortValue } from '../workflow/model.js';
import { recordCiphertext } from './broker/release.js';
import { equalSecrets } from '../crypto/constant-time.js';
import type { BrokerDecision } from './broker/types.js';
import { RUN_SECRETS_FILE, runSecretsIds } from './run-secrets.js';
import type { AttestedSession } from './session.js';
import type { MasterSession } from './master-session.js';
import { hashWithHeader, smallHashWithHeaderSync } from './broker/recorded.js';
import { fileKeyOf, restoreSeenKey } from './broker/file-keys.js';
import type { Header } from '../crypto/filekey.js';

/** An earlier success of a step instance, as the journal recorded it (the engine's PriorSuccess). */
export interface PriorSuccess {
  readonly hash: string;
  readonly outputs: unknown;
  readonly outputsMac?: string;
  readonly keyDigests?: Readonly<Record<string, string>>;
}

export interface EncryptedRun<P extends PriorSuccess = PriorSuccess> {
  /** The key of the run's resume hashes. */
  readonly hashKey: Buffer;
  /** The earlier successes that may be reused: those whose ciphertexts are intact. */
  readonly prior: Map<string, P>;
  /** §10.6: the resume hash of a plaintext owner input from its admission pass, if it had one (else undefined: hash it). */
  readonly keyedDigest: (file: string) => Promise<string | undefined>;
}

export interface BindRequest<P extends PriorSuccess = PriorSuccess> {
  readonly runId: string;
  /** The run's master (its attested session, if it opened one). */
  readonly master: MasterSession;
  /** The run directory. */
  readonly runRoot: string;
  readonly resumed: boolean;
  readonly prior: ReadonlyMap<string, P>;
  readonly record: (d: BrokerDecision) => void;
  /** The engine's MAC of a journalled success under the run hash key (null: not computable). */
  readonly outputsMac: (hashKey: Buffer) => (instance: string, hash: string, outputs: unknown, keyDigests?: unknown) => string | null;
}

/** Every file (and sealed directory) value in a step's outputs: its path and recorded ciphertext SHA-256. */
function filesOf(v: unknown, out: { path: string; sha256: string | undefined }[] = []): { path: string; sha256: string | undefined }[] {
  if (v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) {
    for (const x of v) filesOf(x, out);
    return out;
  }
  const o = v as Record<string, unknown>;
  const sha256 = typeof o['sha256'] === 'string' ? o['sha256'] : undefined;
  if (o['class'] === 'File' && typeof o['path'] === 'string') out.push({ path: o['path'], sha256 });
  // A sealed directory is one age file with its recorded hash (§10.1).
  else if (o['class'] === 'Directory' && typeof o['path'] === 'string') out.push({ path: o['path'], sha256 });
  else for (const x of Object.values(o)) filesOf(x, out);
  return out;
}

/** The file's SHA-256 and header if it still hashes to the journalled `sha256`, else null (synchronous for small binary files: thousands are checked). */
async function intactHash(file: { path: string; sha256: string | undefined }): Promise<{ sha256: string; header: Header | null } | null> {
  if (file.sha256 === undefined) return null;
  try {
    const small = smallHashWithHeaderSync(file.path);
    const r = small && small.header !== undefined ? { sha256: small.sha256, header: small.header } : await hashWithHeader(file.path); // the header too: releases use it without reading again (§8.1)
    return r.sha256 === file.sha256.toLowerCase() ? r : null;
  } catch {
    return null;
  }
}

/** Whether a restored intermediate's key unwraps with the run identity (kept, and seen, from now on): records journalled without key digests. */
function runKeyKept(broker: AttestedSession['broker'], id: string, r: { sha256: string; header: Header | null }): boolean {
  if (r.header === null) return false;
  try {
    fileKeyOf(broker, id, r.sha256, r.header, 'output', broker.opts.identities).fill(0);
    return true;
  } catch {
    return false;
  }
}

/** Session directories of earlier (killed) masters of this run. */
function removeStaleSessions(runId: string, current: string): void {
  const tmp = path.dirname(current);
  for (const name of fs.readdirSync(tmp)) {
    const p = path.join(tmp, name);
    if (name.startsWith(`sealflow-attested-${runId}-`) && p !== current) fs.rmSync(p, { recursive: true, force: true });
  }
}

const DIGEST = /^[0-9a-f]{64}$/;

/** The journalled key digest of every file in `files`, or null if the record lacks one (written before digests: the old check). */
function digestsOf(p: PriorSuccess, files: readonly { path: string }[]): string[] | null {
  const d = p.keyDigests;
  if (d === undefined || d === null || typeof d !== 'object') return null;
  const out: string[] = [];
  for (const f of files) {
    const x = Object.hasOwn(d, f.path) ? d[f.path] : undefined;
    if (typeof x !== 'string' || !DIGEST.test(x)) return null;
    out.push(x);
  }
  return out;
}

export interface Restored<P> {
  readonly prior: Map<string, P>;
  readonly damaged: string[];
  readonly restored: number;
}

/**
 * §13.2, §16.3: the journalled successes a resumed run may reuse, their
 * ciphertexts recorded with the broker. A record is reused only if its MAC
 * under the run hash key verifies (it covers the outputs and their key
 * digests) and every output file still hashes to its journalled SHA-256.
 * Its outputs' key digests then count as seen (`restoreSeenKey`): no new
 * output may carry one of those keys, and no key is unwrapped here — each is
 * unwrapped at its first release, by the run identity only, and must have
 * its journalled digest. A record without digests (a journal from before
 * them) is checked the old way: each output's key unwrapped now.
 */
export async function restorePrior<P extends PriorSuccess>(broker: AttestedSession['broker'], records: ReadonlyMap<string, P>, macOf: (instance: string, hash: string, outputs: unknown, keyDigests?: unknown) => string | null): Promise<Restored<P>> {
  const prior = new Map<string, P>();
  const damaged: string[] = [];
  let restored = 0;
  let checkedSteps = 0;
  for (const [key, p] of records) {
    // Thousands of steps are checked with synchronous reads: give the workers' heartbeats a turn.
    if (++checkedSteps % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    // The journal is not authenticated: only a record a master holding the hash key wrote is reused.
    const mac = macOf(key, p.hash, p.outputs, p.keyDigests);
    if (typeof p.outputsMac !== 'string' || mac === null || !equalSecrets(p.outputsMac, mac)) {
      damaged.push(key);
      continue;
    }
    const files = filesOf(p.outputs as Readonly<Record<string, PortValue>>);
    const hashes: ({ sha256: string; header: Header | null } | null)[] = [];
    for (const f of files) hashes.push(await intactHash(f));
    const digests = digestsOf(p, files);
    const fine = digests !== null ? hashes.every((h) => h !== null && h.header !== null) : hashes.every((h, i) => h !== null && runKeyKept(broker, files[i]!.path, h));
    if (!fine) {
      damaged.push(key);
      continue;
    }
    files.forEach((f, i) => recordCiphertext(broker, 'output', f.path, hashes[i]!.sha256, hashes[i]!.header));
    if (digests !== null) {
      files.forEach((f, i) => restoreSeenKey(broker, f.path, digests[i]!));
      // Sealed values' keys are seen too (they are never released by id).
      const paths = new Set(files.map((f) => f.path));
      for (const [name, d] of Object.entries(p.keyDigests ?? {})) if (typeof d === 'string' && DIGEST.test(d) && !paths.has(name)) restoreSeenKey(broker, `${key} ${name}`, d);
    }
    restored += files.length;
    prior.set(key, p);
  }
  return { prior, damaged, restored };
}

export async function bindEncryptedRun<P extends PriorSuccess>(req: BindRequest<P>): Promise<EncryptedRun<P> | null> {
  const pending = req.master.opened();
  const file = path.join(req.runRoot, RUN_SECRETS_FILE);
  if (!pending) {
    // Resuming an encrypted run on the plain path would hand its ciphertexts to workers that cannot read them and publish plaintext.
    if (req.resumed && fs.existsSync(file)) throw new InputError(`run ${req.runId} is encrypted (it has ${file}) but would be resumed unencrypted; resume it without --no-encrypt; nothing ran`);
    return null;
  }
  const session = await pending;
  const s = session.secrets;
  if (!s.persisted) {
    // A session that generated fresh secrets for a run that has some would encrypt to the wrong run recipient.
    if (fs.existsSync(file)) throw new OperationError(`run ${req.runId}: its workers started before its run secrets (${file}) were located; nothing ran — resume it again`);
    await s.persist(req.runRoot);
  }
  if (req.resumed) removeStaleSessions(req.runId, session.dir);
  const { prior, damaged, restored } = await restorePrior(session.broker, req.prior, req.outputsMac(s.hashKey));
  req.record({
    type: 'run-secrets',
    decision: s.loaded ? 'restored' : 'created',
    file: RUN_SECRETS_FILE,
    ...runSecretsIds(s),
    ...(req.resumed ? { restoredHashes: restored, notReused: damaged } : {}),
  });
  return { hashKey: s.hashKey, prior, keyedDigest: (f) => session.keyedDigest(f) };
}
