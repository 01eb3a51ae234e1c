/** The fault-injection workflow (test/fixtures/faults/chain) and the checks every disturbed run must pass. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import type { BrokerDecision } from '../../src/master/broker/types.js';
import type { WorkerPool } from '../../src/engine/workers.js';
import { decrypt } from '../../src/crypto/index.js';
import { readIdentityFile } from '../../src/crypto/keyfile.js';
import { loadWorkflow } from '../../src/workflow/index.js';
import type { PortValue, Workflow } from '../../src/workflow/model.js';
import { readJournal } from '../../src/engine/journal.js';
import { REPO } from '../helpers/cli.js';
import { startCli, waitGone } from '../cli/run-helpers.js';
import { faultRun, gate, until, workerOf, type FaultRunOptions, type Gate } from './harness.js';
import { attemptFile, scratchFilesOf } from '../helpers/scratch.js';

export const CHAIN = path.join(REPO, 'test', 'fixtures', 'faults', 'chain');

export function chainWorkflow(): Promise<Workflow> {
  return loadWorkflow(CHAIN);
}

export interface ChainOutputs {
  readonly numbers: Buffer;
  readonly summary: Buffer;
}

/** The chain and the outputs of an undisturbed plain run of it: what every disturbed run must give. */
export async function cleanChain(): Promise<{ wf: Workflow; clean: ChainOutputs }> {
  const wf = await chainWorkflow();
  const { outcome } = await faultRun(wf);
  assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
  return { wf, clean: { numbers: fileBytes(outcome.outputs['numbers']), summary: fileBytes(outcome.outputs['summary']) } };
}

/**
 * For the encrypted fault suites: a fresh SEALFLOW_HOME (unencrypted master
 * keys) for this test process, and the owner's view of a result value.
 */
export function encryptedHome(prefix: string): { home: string; decrypted: (v: unknown) => Promise<Buffer> } {
  const home = path.join(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), 'home');
  process.env['SEALFLOW_HOME'] = home;
  process.env['SEALFLOW_MASTER_PASSPHRASE'] = '';
  return { home, decrypted: (v) => ownerDecrypted((v as { path: string }).path, path.join(home, 'owner-identity.txt')) };
}

/** What `disturbMid` saw: the worker of mid's first attempt, and whether its output had begun when it was disturbed. */
export interface MidVictim {
  id: string;
  pid: number;
  wasWriting: boolean;
}

/**
 * Run options that disturb the chain's `mid` at a known point. Its first
 * attempt is held at a gate (the chain's `hold` input) after writing its
 * first lines, so it cannot finish before the disturbance, whatever the
 * machine's speed. `at: 'writing'` disturbs it once those lines are in its
 * scratch output; `at: 'assigned'` as soon as it has started. The gate opens
 * when mid's second attempt starts (the re-run goes through).
 */
export function disturbMid(
  stateDir: string,
  at: 'writing' | 'assigned',
  disturb: (pool: WorkerPool, worker: string) => void,
): { options: FaultRunOptions & { stateDir: string }; victim: MidVictim; gate: Gate } {
  const g = gate();
  const victim: MidVictim = { id: '', pid: 0, wasWriting: false };
  let runId = '';
  const options = {
    stateDir,
    inputs: { hold: g.path },
    onEvent: (e: RunEvent, pool: WorkerPool) => {
      if (e.type === 'run-started') runId = e.runId;
      if (e.type !== 'step-started' || e.step !== 'mid') return;
      if (e.attempt === 1) {
        victim.id = e.worker;
        victim.pid = workerOf(pool, e.worker).pid;
        if (at === 'assigned') disturb(pool, e.worker);
        else
          void until(() => (fs.statSync(attemptFile(stateDir, runId, 'mid.0.1', 'o') ?? '', { throwIfNoEntry: false })?.size ?? 0) > 0).then((ok) => {
            victim.wasWriting = ok;
            disturb(pool, e.worker);
          });
      } else g.open();
    },
  };
  return { options, victim, gate: g };
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

/** How long a worker may take to exit once it lost its master's channel (docs/protocol.md §11.3: 5 s for attempts to stop, 2 s SIGKILL grace). */
export const WORKER_EXIT_BOUND_MS = 8000;

/**
 * Starts `sealflow run --json <args>` on the chain with mid held at a gate,
 * SIGKILLs the master once mid has begun writing (held there: on any
 * machine), then opens the gate (for a resumed run). Checks that the workers
 * lose their master, stop the step, wipe its scratch (and decrypted inputs)
 * and exit (§11.3). Returns the run's id, journal and events before the kill.
 */
export async function killMasterMidStep(args: readonly string[], stateDir: string, cwd: string, env?: NodeJS.ProcessEnv): Promise<{ runId: string; journal: string; before: RunEvent[] }> {
  const g = gate(cwd);
  const cli = startCli(['run', CHAIN, ...args, '--state-dir', stateDir, '--json', '--input', `hold=${g.path}`], cwd, env);
  await cli.waitFor((e) => e.type === 'step-started' && e.step === 'mid');
  const runId = cli.events[0]?.type === 'run-started' ? cli.events[0].runId : '';
  assert.ok(await until(() => (fs.statSync(attemptFile(stateDir, runId, 'mid.0.1', 'o') ?? '', { throwIfNoEntry: false })?.size ?? 0) > 0), 'mid had begun writing');
  cli.child.kill('SIGKILL');
  await cli.exited;
  g.open();
  const workers = cli.events.flatMap((e) => (e.type === 'worker-started' ? [e.pid] : []));
  assert.ok(workers.length > 0);
  assert.deepEqual(await waitGone(workers, WORKER_EXIT_BOUND_MS), [], `workers exit within ${WORKER_EXIT_BOUND_MS / 1000} s of losing the master`);
  assert.ok(await until(() => scratchFilesOf(stateDir, runId).length === 0), `scratch wiped: ${scratchFilesOf(stateDir, runId).join(', ')}`);
  const journal = path.join(stateDir, 'runs', runId, 'journal.jsonl');
  return { runId, journal, before: readJournal(journal).events };
}

/**
 * After a master was killed and the run resumed: the steps `done` before the
 * kill were reused, not run again, and only `mid` and `last` ran; the killed
 * attempt of mid never counted as a success. Returns the resumed session's events.
 */
export function checkResumed(ev: readonly RunEvent[], done: ReadonlySet<string>): RunEvent[] {
  const session2 = ev.slice(ev.findLastIndex((e) => e.type === 'run-resumed'));
  for (const s of done) {
    assert.ok(!session2.some((e) => e.type === 'step-started' && e.step === s), `${s} ran again after resume`);
    assert.ok(session2.some((e) => e.type === 'step-reused' && e.step === s), `${s} reported reused`);
  }
  assert.deepEqual(session2.flatMap((e) => (e.type === 'step-started' ? [e.step] : [])), ['mid', 'last'], 'only the unfinished steps ran');
  assert.equal(ev.filter((e) => e.type === 'step-succeeded' && e.step === 'mid').length, 1, 'the killed attempt of mid never counted as a success');
  return session2;
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
