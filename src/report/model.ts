/**
 * What a run report shows (docs/report.md), built from the run journal alone:
 * the summary, one lane per worker process (per session: a resumed run starts
 * new workers), each step attempt as a bar, attestation per worker, key
 * releases (file ids as labels, never the paths they are journalled under),
 * failures. Pure and tolerant: journals written before a field existed still
 * give a model; fields a journal lacks are absent, and the page says "not
 * recorded".
 *
 * Nothing here is secret: no input values, no file names, no sealed values,
 * no stderr. What only the owner may see (stderr tails) is added by
 * `private.ts` when the owner's identity is given.
 */
import path from 'node:path';
import type { RunEvent } from '../engine/events.js';
import { summarize } from '../engine/inspect.js';
import type { BrokerDecision } from '../master/broker/types.js';
import { USAGE_LIMITS } from '../protocol/execution.js';

/** How a worker's TEE was established — never blurred into one word. */
export type EvidenceClass = 'hardware' | 'recorded evidence' | 'simulated' | 'none' | 'unknown';

/** How an attempt ended. */
export type AttemptState =
  /** It produced the step's outputs. */
  | 'succeeded'
  /** It failed and the step was tried again. */
  | 'retried'
  /** It failed and the step failed. */
  | 'failed'
  /** Its worker was lost; the step ran again elsewhere. */
  | 'lost'
  /** No end recorded and its session is over: its master was killed (or stopped) while it ran. */
  | 'interrupted'
  /** No end recorded: still running (live). */
  | 'running';

export interface Lane {
  /** `s<session>:<worker>`. */
  readonly key: string;
  readonly worker: string;
  readonly session: number;
  readonly deployment?: string;
  readonly connector?: string;
  readonly platform?: string;
  readonly host?: string;
  /** Batch job id and node (Slurm), when the connector journals them. */
  readonly job?: string;
  readonly node?: string;
  readonly startedAt?: number;
  readonly lostAt?: number;
  readonly lostReason?: string;
}

export interface Usage {
  /** Reported by the worker (the master cannot measure it): CPU time, peak memory, threads used. */
  readonly cpuMs?: number;
  readonly maxRssBytes?: number;
  readonly threadsUsed?: number;
}

export interface Attempt {
  readonly lane: number;
  readonly step: string;
  readonly index: number;
  readonly attempt: number;
  readonly session: number;
  readonly start: number;
  readonly end?: number;
  readonly state: AttemptState;
  readonly exitStatus?: number | null;
  readonly signal?: string | null;
  /** The engine's one-line reason (no stderr, no values). */
  readonly message?: string;
  /** Output bytes (ciphertext, as the master recorded them). */
  readonly bytesOut?: number;
  /** Input bytes: the ciphertexts whose keys were released for this attempt, as recorded. */
  readonly bytesIn?: number;
  readonly threadsAsked?: number;
  readonly usage?: Usage;
}

export interface Attestation {
  readonly worker: string;
  readonly session: number;
  readonly t: number;
  readonly decision: 'accepted' | 'refused';
  readonly deployment?: string;
  readonly platform?: string;
  readonly evidence: EvidenceClass;
  readonly measurement?: string;
  readonly tcbStatus?: string;
  readonly debug?: boolean;
  readonly reason?: string;
}

export interface FileRef {
  /** What the file is: `input 1`, `count[2].o`, or `file` — never a path or a name from outside the workflow. */
  readonly label: string;
  readonly sha256: string;
}

export interface KeyRelease {
  readonly t: number;
  readonly session: number;
  readonly worker: string;
  /** The attempt, `step[index]#attempt`. */
  readonly attempt: string;
  readonly decision: 'released' | 'refused';
  readonly files: readonly FileRef[];
  readonly reason?: string;
}

export interface Session {
  readonly n: number;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly host: string;
}

export interface ReportModel {
  readonly format: 'sealflow-report';
  readonly version: 1;
  readonly run: {
    readonly id: string;
    readonly name: string;
    /** The workflow file's base name. */
    readonly workflowFile: string;
    readonly state: string;
    readonly startedAt: number;
    readonly endedAt?: number;
    readonly activeMs: number;
    readonly message?: string;
    readonly tornTail: boolean;
    readonly encrypted?: boolean;
  };
  readonly sessions: readonly Session[];
  /** Step ids in file order. */
  readonly steps: readonly string[];
  readonly lanes: readonly Lane[];
  readonly attempts: readonly Attempt[];
  /** Instances reused by a resume: step, index, session. */
  readonly reused: readonly { readonly step: string; readonly index: number; readonly session: number; readonly t: number }[];
  /** Final state of every step instance. */
  readonly instances: readonly { readonly step: string; readonly index: number; readonly state: string; readonly attempts: number; readonly reused: boolean }[];
  readonly attestations: readonly Attestation[];
  readonly keyReleases: readonly KeyRelease[];
  /** The time of the last event (the live view's "as of"). */
  readonly lastEventAt: number;
}

/** `evidence` as the journal shows it. `recorded: true` on a decision marks replayed (recorded) hardware evidence. */
export function evidenceClass(d: Extract<BrokerDecision, { type: 'attestation' }> | undefined, platform: string | undefined): EvidenceClass {
  if (platform === 'none' || d?.unattested !== undefined) return 'none';
  const c = d?.claims;
  if (platform === 'sim' || c?.simulated === true || c?.platform === 'sim') return 'simulated';
  if (!c) return 'unknown';
  return (d as { recorded?: unknown }).recorded === true ? 'recorded evidence' : 'hardware';
}

/** A label for a journalled file id that names no file: the producing step instance and port, or the input's position. */
export function fileLabeler(steps: readonly string[]): (id: string, sha256: string) => string {
  const inputs = new Map<string, number>();
  const known = new Set(steps);
  return (id, sha256) => {
    const parts = id.split(/[\\/]/);
    const i = parts.lastIndexOf('steps');
    // `steps/<step>.<index>/<port>.age`, or `steps/<step>/<index>/<port>.age` in runs made before this layout.
    const tail = i >= 0 ? parts.slice(i + 1) : [];
    const dot = tail.length === 2 ? (tail[0] ?? '').lastIndexOf('.') : -1; // `<step>.<index>`: the index follows the last dot
    const [s, n, f] = dot > 0 ? [tail[0]!.slice(0, dot), tail[0]!.slice(dot + 1), tail[1]] : tail.length === 3 ? tail : [];
    if (s !== undefined && known.has(s) && /^\d+$/.test(n ?? '') && /^[A-Za-z_][\w-]*\.age$/.test(f ?? '')) return `${s}[${n}].${(f as string).slice(0, -4)}`;
    let k = inputs.get(sha256);
    if (k === undefined) inputs.set(sha256, (k = inputs.size + 1));
    return `input ${k}`;
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Sizes of the file values among `outputs` (ciphertext sizes as the master recorded them), by SHA-256 where known. */
function outputFiles(outputs: unknown, into: Map<string, number>): number {
  let total = 0;
  const visit = (v: unknown, depth: number): void => {
    if (depth > 8 || typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
    const o = v as Record<string, unknown>;
    if (o['class'] === 'File' || o['class'] === 'Directory') {
      const size = num(o['size']);
      if (size !== undefined) {
        total += size;
        const sha = str(o['sha256']);
        if (sha) into.set(sha, size);
      }
      return;
    }
    for (const x of Object.values(o)) visit(x, depth + 1);
  };
  visit(outputs, 0);
  return total;
}

/** The report model of a run from its journal events. */
export function buildModel(runId: string, events: readonly RunEvent[], tornTail = false): ReportModel {
  const summary = summarize(runId, events, tornTail);
  const started = events.find((e) => e.type === 'run-started');
  const steps = summary.instances.map((i) => i.step).filter((s, i, a) => a.indexOf(s) === i);
  const label = fileLabeler(started?.type === 'run-started' ? started.steps ?? steps : steps);
  const lanes: Lane[] = [];
  const laneOf = new Map<string, number>();
  const lane = (session: number, named: unknown, host?: unknown): number => {
    // Journals written before a field existed (or damaged ones) may lack the worker or host: the lane says so.
    const worker = typeof named === 'string' ? named : '(worker not recorded)';
    if (typeof host !== 'string') host = undefined;
    const key = `s${session}:${worker}`;
    let i = laneOf.get(key);
    if (i === undefined) {
      i = lanes.length;
      lanes.push({ key, worker, session, ...(typeof host === 'string' ? { host } : {}) });
      laneOf.set(key, i);
    }
    return i;
  };
  const attempts: (Attempt & { state: AttemptState })[] = [];
  const open = new Map<string, number>(); // step[index]#attempt in this session -> attempts index
  const sizes = new Map<string, number>();
  const sessions: Session[] = [];
  const attestations: Attestation[] = [];
  const keyReleases: KeyRelease[] = [];
  const reused: { step: string; index: number; session: number; t: number }[] = [];
  let session = 0;
  let lastEventAt = 0;
  const interruptOpen = () => {
    for (const k of open.values()) if (attempts[k]!.state === 'running') attempts[k] = { ...attempts[k]!, state: 'interrupted' };
    open.clear();
  };
  const endSession = (t: number) => {
    const s = sessions[sessions.length - 1];
    if (s && s.endedAt === undefined) sessions[sessions.length - 1] = { ...s, endedAt: t };
  };
  for (const e of events) {
    lastEventAt = Math.max(lastEventAt, e.t);
    const r = e as unknown as Record<string, unknown>;
    switch (e.type) {
      case 'run-started':
      case 'run-resumed':
        if (session > 0) endSession(lastEventAt);
        interruptOpen();
        session++;
        sessions.push({ n: session, startedAt: e.t, host: e.host });
        break;
      case 'run-finished':
        endSession(e.t);
        interruptOpen();
        break;
      case 'worker-started': {
        const i = lane(session, e.worker, e.host);
        lanes[i] = { ...lanes[i]!, deployment: e.deployment, connector: e.connector, platform: e.platform, host: e.host, startedAt: e.t, ...jobOf(r) };
        break;
      }
      case 'worker-lost': {
        const i = lane(session, e.worker, e.host);
        lanes[i] = { ...lanes[i]!, lostAt: e.t, lostReason: e.reason };
        break;
      }
      case 'step-started': {
        const i = lane(session, e.worker, e.host);
        open.set(`${e.step}[${e.index}]#${e.attempt}`, attempts.length);
        const threads = num(r['threads']);
        attempts.push({ lane: i, step: e.step, index: e.index, attempt: e.attempt, session, start: e.t, state: 'running', ...(threads !== undefined ? { threadsAsked: threads } : {}) });
        break;
      }
      case 'step-succeeded':
      case 'step-failed': {
        const k = open.get(`${e.step}[${e.index}]#${e.attempt}`);
        if (k === undefined) break;
        const a = attempts[k]!;
        const state: AttemptState = e.type === 'step-succeeded' ? 'succeeded' : e.workerLost === true ? 'lost' : e.willRetry ? 'retried' : 'failed';
        const usage = usageOf(r['usage']);
        attempts[k] = {
          ...a,
          end: e.t,
          state,
          exitStatus: e.exitStatus ?? null,
          ...(e.type === 'step-failed' ? { signal: e.signal ?? null, message: e.message } : { bytesOut: outputFiles(e.outputs, sizes) }),
          ...(usage ? { usage } : {}),
        };
        break;
      }
      case 'step-reused':
        reused.push({ step: e.step, index: e.index, session, t: e.t });
        break;
      case 'wcpac':
        decision(e.decision, e.t);
        break;
      default: {
        // A connector's record of where a worker runs (the Slurm connector's job id and node): any record naming a worker and a job.
        const w = str(r['worker']) ?? str(r['slot']);
        const where = jobOf(r);
        if (w !== undefined && where.job !== undefined) {
          const i = lane(session, w);
          lanes[i] = { ...lanes[i]!, ...where, ...(str(r['deployment']) !== undefined ? { deployment: str(r['deployment']) as string } : {}), ...(str(r['connector']) !== undefined ? { connector: str(r['connector']) as string } : {}) };
        }
        break;
      }
    }
  }
  function decision(d: BrokerDecision, t: number): void {
    if (typeof d !== 'object' || d === null) return;
    if (d.type === 'attestation' && typeof d.slot === 'string') {
      if (typeof d.claims !== 'object' || d.claims === null) (d as { claims?: unknown }).claims = undefined;
      attestations.push({
        worker: d.slot,
        session,
        t,
        decision: d.decision,
        ...(d.deployment !== undefined ? { deployment: d.deployment } : {}),
        ...(d.claims ? { platform: d.claims.platform, measurement: d.claims.measurement, tcbStatus: d.claims.tcbStatus, debug: d.claims.debug } : {}),
        evidence: d.decision === 'accepted' ? evidenceClass(d, d.claims?.platform) : 'unknown',
        ...(d.reason !== undefined ? { reason: d.reason } : {}),
      });
    } else if (d.type === 'key-release') {
      const files = Array.isArray(d.files)
        ? d.files.flatMap((f: unknown) => {
            const r = typeof f === 'object' && f !== null ? (f as Record<string, unknown>) : {};
            const sha256 = str(r['sha256']) ?? '';
            return [{ label: label(str(r['id']) ?? '', sha256), sha256 }];
          })
        : [];
      const reason = str(d.reason);
      keyReleases.push({ t, session, worker: String(d.worker), attempt: String(d.step), decision: d.decision === 'released' ? 'released' : 'refused', files, ...(reason !== undefined ? { reason } : {}) });
    }
  }
  if (summary.state !== 'running') interruptOpen();
  // Input bytes of each attempt: the sizes of the ciphertexts released to it, where the journal recorded them.
  const byAttempt = new Map(keyReleases.filter((k) => k.decision === 'released').map((k) => [`${k.session}:${k.attempt}`, k]));
  const withIn = attempts.map((a) => {
    const k = byAttempt.get(`${a.session}:${a.step}[${a.index}]#${a.attempt}`);
    if (!k) return a;
    const known = k.files.map((f) => sizes.get(f.sha256));
    return known.every((s) => s !== undefined) ? { ...a, bytesIn: known.reduce<number>((x, y) => x + (y ?? 0), 0) } : a;
  });
  // Attestation and platform of a lane: the platform also comes from the accepted decision.
  for (const a of attestations) {
    const i = laneOf.get(`s${a.session}:${a.worker}`);
    if (i !== undefined && lanes[i]!.platform === undefined && a.platform !== undefined) lanes[i] = { ...lanes[i]!, platform: a.platform };
  }
  const wf = started?.type === 'run-started' ? started.workflow : summary.workflow;
  return {
    format: 'sealflow-report',
    version: 1,
    run: {
      id: started?.type === 'run-started' && typeof started.runId === 'string' ? started.runId : summary.id,
      name: summary.name,
      workflowFile: path.basename(wf),
      state: summary.state,
      startedAt: summary.startedAt,
      ...(summary.endedAt !== undefined ? { endedAt: summary.endedAt } : {}),
      activeMs: summary.activeMs,
      ...(summary.message !== undefined ? { message: summary.message } : {}),
      tornTail: summary.tornTail,
      ...(started?.type === 'run-started' && started.encrypted !== undefined ? { encrypted: started.encrypted } : {}),
    },
    sessions,
    steps,
    lanes,
    attempts: withIn,
    reused,
    instances: summary.instances.map((i) => ({ step: i.step, index: i.index, state: i.state, attempts: i.attempts, reused: i.reused })),
    attestations,
    keyReleases,
    lastEventAt,
  };
}

/** A Slurm job and node, when the connector journals them on `worker-started` (`job`, `node`). */
function jobOf(r: Record<string, unknown>): { job?: string; node?: string } {
  const job = str(r['job']) ?? (num(r['job']) !== undefined ? String(r['job']) : undefined) ?? str(r['jobId']);
  const node = str(r['node']);
  return { ...(job !== undefined ? { job } : {}), ...(node !== undefined ? { node } : {}) };
}

/**
 * The worker's `usage` on `step-succeeded` / `step-failed` ({cpuMs, maxRssKiB, threads}, docs/protocol.md §1.3).
 * The journal may be damaged: a value that is not a whole number from 0 to its protocol bound is left out.
 */
function usageOf(v: unknown): Usage | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const bounded = (x: unknown, max: number) => (Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= max ? (x as number) : undefined);
  const cpuMs = bounded(o['cpuMs'], USAGE_LIMITS.cpuMs);
  const kib = bounded(o['maxRssKiB'], USAGE_LIMITS.maxRssKiB);
  const maxRssBytes = kib !== undefined ? kib * 1024 : undefined;
  const threadsUsed = bounded(o['threads'], USAGE_LIMITS.threads);
  if (cpuMs === undefined && maxRssBytes === undefined && threadsUsed === undefined) return undefined;
  return { ...(cpuMs !== undefined ? { cpuMs } : {}), ...(maxRssBytes !== undefined ? { maxRssBytes } : {}), ...(threadsUsed !== undefined ? { threadsUsed } : {}) };
}
