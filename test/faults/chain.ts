/** The fault-injection workflow (test/fixtures/faults/chain) and the checks every disturbed run must pass. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import type { BrokerDecision } from '../../src/engine/broker/types.js';
import { decrypt } from '../../src/crypto/index.js';
import { readIdentityFile } from '../../src/crypto/keyfile.js';
import { loadWorkflow } from '../../src/workflow/index.js';
import type { PortValue, Workflow } from '../../src/workflow/model.js';
import { REPO } from '../helpers/cli.js';

export const CHAIN = path.join(REPO, 'test', 'fixtures', 'faults', 'chain');

export function chainWorkflow(): Promise<Workflow> {
  return loadWorkflow(CHAIN);
}

export function fileBytes(v: PortValue | undefined): Buffer {
  const p = (v as { path?: string } | null)?.path;
  if (!p) throw new Error(`not a file value: ${JSON.stringify(v)}`);
  return fs.readFileSync(p);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * What every disturbed run of the chain must show in its journal: each
 * instance succeeded exactly once, with outputs whose recorded size and
 * SHA-256 match the bytes on disk (no partial or corrupt output accepted);
 * the step that was disturbed ran again; the producer before it did not.
 */
export function checkJournal(ev: readonly RunEvent[], disturbed: string): void {
  const ok = ev.filter((e) => e.type === 'step-succeeded');
  assert.deepEqual(ok.map((e) => (e.type === 'step-succeeded' ? e.step : '')).sort(), ['gen', 'last', 'mid']);
  for (const e of ok) {
    if (e.type !== 'step-succeeded') continue;
    const o = e.outputs['o'] as { path: string; size?: number; sha256?: string };
    const bytes = fs.readFileSync(o.path);
    assert.equal(o.size, bytes.length, `${e.step}: recorded size`);
    if (o.sha256 !== undefined) assert.equal(o.sha256, sha(bytes), `${e.step}: recorded SHA-256`);
  }
  const starts = (s: string) => ev.filter((e) => e.type === 'step-started' && e.step === s);
  assert.equal(starts('gen').length, 1, 'the producer of the disturbed step was not re-run');
  assert.ok(starts(disturbed).length >= 2, `${disturbed} ran again`);
  const failed = ev.filter((e) => e.type === 'step-failed');
  assert.ok(failed.every((e) => e.type === 'step-failed' && e.step === disturbed && e.workerLost === true && e.willRetry), `only lost attempts failed: ${JSON.stringify(failed)}`);
  assert.ok(ev.some((e) => e.type === 'worker-lost'));
}

/** The key broker's decisions, as journalled in the run journal (`wcpac` events). */
export const brokerDecisions = (ev: readonly RunEvent[]): BrokerDecision[] => ev.flatMap((e) => (e.type === 'wcpac' ? [e.decision] : []));

/** The owner's view of an encrypted result (in process: a CLI per file would double a loop's time); asserts it is an age file at rest. */
export async function ownerDecrypted(file: string, identityFile: string): Promise<Buffer> {
  const bytes = fs.readFileSync(file);
  assert.ok(bytes.subarray(0, 22).equals(Buffer.from('age-encryption.org/v1\n')), `${file} at rest is an age file`);
  const parts: Buffer[] = [];
  for await (const c of decrypt(await readIdentityFile(identityFile), bytes)) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}
