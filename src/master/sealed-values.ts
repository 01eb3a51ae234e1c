/**
 * The master's part of §10.1–§10.2. With the run identity of an open
 * attested session (held by the run's MasterSession) it reveals sealed
 * values where the scheduler must see a value (`when`, scatter, pickValue,
 * and the assignment it sends a worker over mTLS); the journal and the run
 * directory keep the sealed form. A plaintext Directory input of the owner
 * is admitted as the age file of its tar stream, encrypted to the broker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openSmall } from '../crypto/oneshot.js';
import type { Identity, Recipient } from '../crypto/types.js';
import { revealValues, hasSealedValue } from '../protocol/sealed-values.js';

/**
 * `v` with every sealed value of run `runId` replaced by its plaintext,
 * opened with `ids` (null: the run's identity is not open; in this process's
 * memory only). Values without sealed parts are returned as they are.
 */
export function revealSealed<T>(runId: string, ids: readonly Identity[] | null, v: T): T {
  if (!hasSealedValue(v)) return v;
  if (!ids) throw new Error(`run ${runId} holds an encrypted value but its run identity is not open in this master (a resumed encrypted run needs its persisted run identity)`);
  return revealValues(v, (age) => openSmall(ids, age).toString('utf8'));
}

/** Seals the owner's plaintext directory `dir` to `recipients` as `<inside>/<name>` (a new directory under `sessionDir`). */
export async function admitDirectory(dir: string, sessionDir: string, recipients: readonly Recipient[]): Promise<{ path: string; sha256: string }> {
  const d = fs.mkdtempSync(path.join(sessionDir, 'input-'));
  const sealed = path.join(d, `${path.basename(dir)}.tar.age`);
  const { sealDirectoryTo } = await import('../protocol/sealed-dirs.js'); // tar-stream (88 KB) loads with the first directory input, not with every run
  const { sha256 } = await sealDirectoryTo(dir, sealed, recipients);
  return { path: sealed, sha256 };
}
