/**
 * Builds a receipt from what the master recorded: the run journal (journal.ts),
 * the key broker's decisions (broker/types.ts) and the hashes collected at
 * the edges (collect.ts). Pure: no I/O. Fields are copied one by one, never
 * whole records, so nothing the journal might carry besides ids, hashes and
 * claims (a key, a message with data in it) can reach the receipt.
 */
import type { BrokerDecision } from '../broker/types.js';
import { isRecord, type JournalRecord, type JournalWorkerStarted } from './journal.js';
import {
  NO_TEE,
  RECEIPT_FORMAT,
  RECEIPT_VERSION,
  SIM_NOT_A_TEE,
  type Receipt,
  type ReceiptAttestationRefusal,
  type ReceiptInput,
  type ReceiptKeyRelease,
  type ReceiptOutput,
  type ReceiptStepRun,
  type ReceiptStepTools,
  type ReceiptWorker,
} from './model.js';

export interface ReceiptFacts {
  readonly runId: string;
  readonly events: readonly JournalRecord[];
  readonly decisions: readonly BrokerDecision[];
  /** Pin of the master signing key that will sign. */
  readonly pin: string;
  readonly workflow: { readonly file: string; readonly sha256: string };
  readonly policySha256: string | null;
  readonly tasksSha256: string | null;
  readonly inputs: readonly ReceiptInput[];
  readonly outputs: readonly ReceiptOutput[];
  readonly values: readonly string[];
  /** The end of the run when the journal has no run-finished yet (ms). */
  readonly now: number;
  /** How a file id of the key-release log is written (default: as journalled). */
  readonly fileId?: (id: string) => string;
}

const iso = (t: number) => new Date(t).toISOString();

type Accepted = Extract<BrokerDecision, { type: 'attestation' }>;

function worker(w: Pick<JournalWorkerStarted, 'worker' | 'deployment' | 'connector' | 'platform' | 'host' | 'job'>, accepted: Accepted | undefined, revoked: string | undefined): ReceiptWorker {
  const c = accepted?.claims;
  const claims = c ? { platform: c.platform, measurement: c.measurement, tcbStatus: c.tcbStatus, debug: c.debug, ...(c.details !== undefined ? { details: { ...c.details } } : {}) } : undefined;
  let tee: ReceiptWorker['tee'];
  let statement: string;
  if (w.platform === 'none') [tee, statement] = ['none', NO_TEE];
  else if (w.platform === 'sim' || c?.simulated === true) [tee, statement] = ['simulated', SIM_NOT_A_TEE];
  else if (claims) [tee, statement] = ['attested', `attested: ${claims.platform} evidence verified against the run's policy; measurement ${claims.measurement}, TCB ${claims.tcbStatus}, debug ${claims.debug ? 'ON' : 'off'}`];
  else [tee, statement] = ['unknown', `no attestation decision was recorded for this worker (platform ${w.platform})`];
  return {
    id: w.worker,
    deployment: w.deployment,
    connector: w.connector,
    platform: w.platform,
    host: w.host,
    ...(typeof w.job === 'string' && /^[0-9]{1,20}$/.test(w.job) ? { job: w.job } : {}),
    tee,
    statement,
    ...(claims ? { claims } : {}),
    ...(accepted?.keys ? { keyFingerprints: { x25519: accepted.keys.x25519, identity: accepted.keys.identity } } : {}),
    ...(revoked !== undefined ? { revoked } : {}),
  };
}

/**
 * §14.7: the programs each step instance ran, from its last `step-succeeded`
 * (the attempt whose outputs the run used; on a resume, the earlier session's
 * when the step was reused), in the order the instances succeeded.
 */
export function stepTools(events: readonly JournalRecord[]): ReceiptStepTools[] {
  const last = new Map<string, ReceiptStepTools>();
  for (const e of events) {
    if (!isRecord(e, 'step-succeeded')) continue;
    const key = `${e.step}[${e.index}]`;
    last.delete(key);
    if (!e.tools || e.tools.length === 0) continue;
    last.set(key, {
      step: e.step,
      index: e.index,
      attempt: e.attempt,
      tools: e.tools.map((c) => ({ tool: c.tool, path: c.path, sha256: c.sha256, pinned: c.expected !== undefined })),
    });
  }
  return [...last.values()];
}

/** Per step instance, the worker of the attempt whose outputs the run used (its last `step-succeeded`), in the order the instances succeeded. */
export function stepRuns(events: readonly JournalRecord[]): ReceiptStepRun[] {
  const ranOn = new Map<string, string>();
  const last = new Map<string, ReceiptStepRun>();
  for (const e of events) {
    if (isRecord(e, 'step-started')) ranOn.set(`${e.step}[${e.index}]#${e.attempt}`, e.worker);
    if (!isRecord(e, 'step-succeeded')) continue;
    const key = `${e.step}[${e.index}]`;
    last.delete(key);
    const w = ranOn.get(`${key}#${e.attempt}`);
    if (w !== undefined) last.set(key, { step: e.step, index: e.index, attempt: e.attempt, worker: w });
  }
  return [...last.values()];
}

export function buildReceipt(f: ReceiptFacts): Receipt {
  const starts = f.events.filter((e) => isRecord(e, 'run-started'));
  const first = starts[0];
  if (!first) throw new Error(`the journal of run ${f.runId} has no run-started event`);
  const finished = f.events.findLast((e) => isRecord(e, 'run-finished'));
  const sessions = starts.length + f.events.filter((e) => isRecord(e, 'run-resumed')).length;

  const accepted = new Map<string, Accepted>();
  const refusals: ReceiptAttestationRefusal[] = [];
  const revoked = new Map<string, string>();
  const releases: ReceiptKeyRelease[] = [];
  for (const d of f.decisions) {
    if (d.type === 'attestation') {
      if (d.decision === 'accepted' && d.slot !== undefined) accepted.set(d.slot, d);
      else if (d.decision === 'refused') refusals.push({ slot: d.slot ?? '(unknown)', reason: d.reason ?? 'unknown' });
    } else if (d.type === 'worker-revoked') revoked.set(d.worker, d.reason);
    else if (d.type === 'key-release') {
      releases.push({
        worker: d.worker,
        step: d.step,
        decision: d.decision,
        ...(d.files ? { files: d.files.map((x) => ({ id: f.fileId?.(x.id) ?? x.id, sha256: x.sha256 })) } : {}),
        ...(d.reason !== undefined ? { reason: d.reason } : {}),
        ...(d.simulated === true ? { simulated: true } : {}),
      });
    }
  }

  const workers: ReceiptWorker[] = [];
  const seen = new Set<string>();
  for (const e of f.events) {
    if (!isRecord(e, 'worker-started') || seen.has(e.worker)) continue;
    seen.add(e.worker);
    workers.push(worker(e, accepted.get(e.worker), revoked.get(e.worker)));
  }
  // Attested workers the journal does not list (the broker accepted them; no worker-started followed).
  for (const [slot, d] of accepted) {
    if (seen.has(slot)) continue;
    workers.push(worker({ worker: slot, deployment: d.deployment ?? '(unknown)', connector: '(unknown)', platform: d.claims?.platform ?? 'unknown', host: '(unknown)' }, d, revoked.get(slot)));
  }

  const executor = [...accepted.values()].map((d) => d.bundleSha256).find((h): h is string => typeof h === 'string') ?? null;
  const encrypted = workers.some((w) => w.platform !== 'none') || f.outputs.some((o) => o.encrypted);
  const statements: string[] = [];
  if (workers.some((w) => w.tee === 'none')) statements.push(`No TEE: ${NO_TEE.replace(/^no TEE: /, '')}.`);
  if (workers.some((w) => w.tee === 'simulated')) statements.push(`Simulated, not a TEE: ${SIM_NOT_A_TEE.replace(/^simulated, not a TEE: /, '')}.`);
  if (workers.some((w) => w.tee === 'attested')) statements.push('Attested workers received keys only after their hardware evidence verified against the run policy.');
  statements.push(
    encrypted
      ? 'Inputs, intermediates and results were age-encrypted; file keys went only to the workers and steps listed under keyReleases (ids and ciphertext hashes, never keys).'
      : 'Not encrypted: this run used platform none without encryption; inputs and outputs are plaintext and the receipt records no hash of plaintext inputs.',
  );
  const tools = stepTools(f.events);
  const steps = stepRuns(f.events);
  if (tools.length > 0) {
    statements.push(
      'Tools: a pinned tool ran only after its SHA-256 matched the run configuration\'s pin; an unpinned one was hashed when the worker resolved it on the fixed PATH and ran in place (recorded, not checked). Neither covers the libraries, interpreter modules or programs a tool loads or starts (docs/protocol.md §10.3).',
    );
  }
  statements.push('Each output is listed with the SHA-256 of the file as written; "sealflow decrypt --receipt" checks it before decrypting, plain "age -d" cannot.');

  return {
    format: RECEIPT_FORMAT,
    version: RECEIPT_VERSION,
    run: { id: f.runId, name: first.name, state: 'succeeded', startedAt: iso(first.t), finishedAt: iso(finished?.t ?? f.now), sessions },
    master: { pin: f.pin },
    workflow: { file: f.workflow.file, sha256: f.workflow.sha256 },
    policy: f.policySha256 !== null ? { sha256: f.policySha256 } : { sha256: null, note: accepted.size > 0 ? 'no policy file: the built-in local policy, which allows sim and the reference measurement of this provisioner' : 'no attestation in this run' },
    bundle: { tasksSha256: f.tasksSha256, executorSha256: executor },
    encrypted,
    inputs: f.inputs.map((i) => ({ ...i })),
    workers,
    attestationRefusals: refusals,
    keyReleases: releases,
    outputs: [...f.outputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    tools,
    ...(steps.length > 0 ? { steps } : {}),
    values: [...f.values],
    statements,
  };
}
