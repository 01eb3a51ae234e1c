/**
 * The master side of the encrypted data flow (docs/protocol.md §10): wraps
 * an attested worker's execution channel. On `assign` it admits the step's
 * input files (a plaintext owner input is encrypted to the broker recipient
 * first; an age file's ciphertext hash is recorded), releases their file
 * keys to this worker (§8) and sends the sealed assignment. On `succeeded`
 * it checks every reported output against the output rules (§16: inside the
 * attempt's own output directory, a new key only the run identity unwraps)
 * before it records any, so the next consumer's check is against what the
 * master saw when it was produced. Messages keep their order; a refusal
 * becomes the attempt's failure, and a forgery also revokes the worker.
 */
import type { Channel } from '../protocol/channel.js';
import type { AssignMsg, MasterToWorker, WorkerToMaster } from '../protocol/execution.js';
import type { SealedFile } from '../protocol/sealed.js';
import { mapPathValues, sealablePaths } from '../protocol/sealed-values.js';
import type { TeeRequirement } from '../workflow/model.js';
import type { KeyBroker } from './broker/broker.js';
import { assignStep, releaseFileKeys } from './broker/release.js';
import type { DataReadyMsg, RevokedMsg, SealedWorkerToMaster } from '../protocol/data-port.js';
import type { DataSources } from './sources.js';
import { recordOutputs, type AssignedAttempt } from './record-output.js';
import { keepRemoteGroup, keepStartedGroup } from './started-check.js';
import { attemptOutDir, ReportRefusal } from './output-rules.js';

export interface SealedChannelOptions {
  readonly broker: KeyBroker;
  readonly slot: string;
  /** age recipients for outputs and logs (the run recipient, the owner). */
  readonly recipients: readonly string[];
  /** The ciphertext path of an input file, admitting it (encrypting a plaintext input) on first use. */
  readonly admit: (path: string) => Promise<string>;
  readonly teeOf: (label: string) => TeeRequirement;
  /** The worker's process as the master started it: a reported process group must descend from it (§16.5). */
  readonly workerPid?: number;
  /** Worker ↔ worker transfers (§15): producers of recorded ciphertexts and the workers' data ports. */
  readonly sources?: DataSources;
  /** Where other hosts reach this worker's data port (its connector's address for the host, §15.8), instead of the host it reports. */
  readonly dataHost?: string;
  /**
   * The worker runs on another host (its pids are that host's): a `started`
   * group is checked for shape only — the master's /proc says nothing about
   * it, and it is reaped on that host, as the user the worker already runs as.
   */
  readonly otherHost?: boolean;
  /** §7.2: the run's sealed expression sandbox, sent once to this worker when it asks (absent or failing: an empty answer). */
  readonly sandbox?: () => Promise<Buffer>;
}

type WorkerChannel = Channel<MasterToWorker, WorkerToMaster>;

export function sealedChannel(inner: WorkerChannel, o: SealedChannelOptions): WorkerChannel {
  const handlers: ((m: WorkerToMaster) => void)[] = [];
  const deliver = (m: WorkerToMaster) => {
    for (const h of handlers) h(m);
  };
  let outgoing: Promise<void> = Promise.resolve();
  let incoming: Promise<void> = Promise.resolve();

  /** Attempts assigned over this channel: where their outputs must be (§16). */
  const attempts = new Map<string, AssignedAttempt>();
  /** Set when the worker forged an output (§16.4): it is revoked and its channel closes. */
  let forged = false;

  const fail = (id: string, message: string): WorkerToMaster => ({ type: 'failed', id, exitStatus: null, signal: null, message, stderrTail: '', durationMs: 0 });

  const sealAssign = async (msg: AssignMsg): Promise<void> => {
    if (forged) return; // its channel is closing: the pool re-runs what it was sent elsewhere (§12.2), not as a failure
    const worker = o.broker.workers.get(o.slot);
    if (!worker) return deliver(fail(msg.id, `worker ${o.slot} is not attested`));
    try {
      const admitted = new Map<string, string>();
      // Files and directories (§10.1: a directory is admitted as the age file of its tar stream).
      for (const p of sealablePaths(msg.inputs)) if (!admitted.has(p)) admitted.set(p, await o.admit(p));
      const inputs = mapPathValues(msg.inputs, (f) => ({ ...f, path: admitted.get(f.path) as string }));
      // Task code travels like data: the bundled tasks are sealed to the broker and released per step.
      let exec = msg.exec;
      if (exec.kind === 'task') {
        const sealedBundle = await o.admit(exec.bundle);
        admitted.set(exec.bundle, sealedBundle);
        exec = { ...exec, bundle: sealedBundle };
      }
      const dir = await attemptOutDir(msg.outDir); // before the worker can touch it (§16.1)
      assignStep(o.broker, o.slot, msg.id);
      const { keyShare, keys } = await releaseFileKeys(o.broker, o.slot, {
        step: msg.id,
        tee: o.teeOf(msg.label),
        inputs: [...new Set(admitted.values())].map((p) => ({ id: p, path: p })),
        epoch: worker.epoch,
      });
      const files: Record<string, SealedFile> = {};
      for (const k of keys) {
        const source = o.sources?.sourceFor(k.id, o.slot);
        files[k.id] = { sha256: k.sha256, wrappedKey: k.wrappedKey.toString('base64'), ...(source ? { source } : {}) };
      }
      attempts.set(msg.id, { dir, ports: new Set(msg.outputs.map((p) => p.id)) });
      inner.send({ ...msg, exec, inputs, sealed: { files, ...(keyShare ? { keyShare: keyShare.toString('base64') } : {}), recipients: o.recipients } } as AssignMsg);
    } catch (err) {
      deliver(fail(msg.id, `no file keys for ${msg.label} on worker ${o.slot}: ${err instanceof Error ? err.message : String(err)}`));
    }
  };

  /** A refused report (§16.4): journalled; a forgery also revokes the worker and closes its channel; the attempt fails either way. */
  const refuse = (id: string, e: unknown): WorkerToMaster => {
    const r = e instanceof ReportRefusal ? e : new ReportRefusal('output-error', e instanceof Error ? e.message : String(e), false);
    o.broker.opts.record({ type: 'report-refused', worker: o.slot, step: id, reason: r.reason, message: r.message, forged: r.forged });
    if (!r.forged) return fail(id, `${id} on worker ${o.slot}: ${r.message}`);
    o.broker.revoke(o.slot, `forged report of ${id}: ${r.message}`);
    forged = true;
    return fail(id, `${id} on worker ${o.slot}: refused a forged report (${r.reason}): ${r.message}; the worker is revoked`);
  };

  /** The message to deliver for `m` once checked (§16), or null to drop it. */
  const checked = async (m: WorkerToMaster): Promise<WorkerToMaster | null> => {
    if (m.type === 'started') {
      try {
        if (o.otherHost) return (await keepRemoteGroup(m.pgid)) ? m : null;
        return (await keepStartedGroup(m.pgid, o.workerPid)) ? m : null; // §16.5: an unverifiable group is never reaped
      } catch (e) {
        return refuse(m.id, e);
      }
    }
    if (m.type !== 'succeeded' && m.type !== 'failed' && m.type !== 'cancelled') return m;
    const attempt = attempts.get(m.id);
    attempts.delete(m.id);
    if (m.type !== 'succeeded') return m;
    // A revoked worker's late result (its assignments were dropped) must not replace a recorded hash (§12.3).
    if (!o.broker.assignments.get(o.slot)?.has(m.id)) return fail(m.id, `result of ${m.id} from worker ${o.slot}, which no longer holds that assignment: ignored`);
    try {
      const r = await recordOutputs(o.broker, m, attempt);
      for (const p of r.ids) o.sources?.produced(o.slot, p);
      return { ...m, keyDigests: r.keyDigests }; // the master's, never the worker's (the schema refuses the field from it)
    } catch (e) {
      return refuse(m.id, e);
    }
  };

  /** §7.1: one answer per worker; a repeated request is dropped, so a worker cannot make the master send it again and again. */
  let sandboxSent = false;
  inner.onMessage((m) => {
    const x = m as SealedWorkerToMaster;
    if (x.type === 'sandbox-get') {
      if (sandboxSent) return;
      sandboxSent = true;
      const answer = (sealed: string) => inner.send({ type: 'sandbox', sealed } as unknown as MasterToWorker);
      if (!o.sandbox) return answer('');
      return void o.sandbox().then(
        (b) => answer(b.toString('base64')),
        (e: unknown) => {
          process.stderr.write(`sealflow: worker ${o.slot} asked for the expression sandbox: ${e instanceof Error ? e.message : String(e)}\n`);
          answer('');
        },
      );
    }
    // §15: a consumer's report of a pull is journalled, not passed on; `ready` names the data port.
    if (x.type === 'transfer') return o.broker.opts.record({ type: 'data-transfer', worker: o.slot, step: x.id, file: x.file, from: x.from, outcome: x.outcome, bytes: x.bytes, ms: x.ms, ...(x.reason !== undefined ? { reason: x.reason } : {}) });
    if (x.type === 'ready') {
      const data = (x as DataReadyMsg).data;
      o.sources?.join(o.slot, data && o.dataHost !== undefined ? { host: o.dataHost, port: data.port } : data, (r: RevokedMsg) => inner.send(r as unknown as MasterToWorker));
    }
    incoming = incoming.then(async () => {
      if (forged) return; // nothing more is heard from a revoked forger
      const c = await checked(m);
      if (c) deliver(c);
      if (forged) inner.close();
    });
  });
  inner.onClose(() => o.sources?.leave(o.slot));

  return {
    send(msg) {
      // A heartbeat carries no step state, so it need not wait its turn: behind the key release of a step with
      // thousands of inputs it would reach the worker seconds late and the worker would give the master up (§11).
      if (msg.type === 'heartbeat') return inner.send(msg);
      outgoing = outgoing.then(() => (msg.type === 'assign' ? sealAssign(msg) : inner.send(msg)));
    },
    onMessage(h) {
      handlers.push(h);
    },
    onClose(h) {
      inner.onClose(h);
    },
    close() {
      inner.close();
    },
  };
}
