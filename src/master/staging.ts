/**
 * Ciphertexts to and from a worker without the master's disk (`transfers:
 * master` on a connector whose hosts do not share it, e.g. `ssh`): wraps
 * the worker's raw execution channel, below the sealed channel. Before an
 * assignment reaches the worker, every input ciphertext it names is copied
 * to the worker's host under an opaque name (once per file and host) and
 * the assignment names those copies; the attempt's output directory and log
 * base become opaque paths on the host. When the attempt ends, what the
 * worker wrote there is copied back into the master's output directory and
 * log base, and the result names the master's paths again — so the sealed
 * channel checks and records exactly as for a local worker (§16: the
 * reported SHA-256 is checked against the master's copy).
 *
 * Only ciphertext travels (age, to keys the host never holds); nothing on
 * the host names a file, step or workflow.
 *
 * With `transfers: direct` (`sources` given, docs/protocol.md §15.8) an
 * input another live worker produced is not copied ahead: its source is
 * marked `lazy`, and only if the worker reports that its pull failed
 * (`transfer`, `fallback`) is the master's copy put on the host and its
 * path sent (`staged`). This worker's own outputs stay on its host after
 * they are copied back (its data port serves them under those paths, which
 * `sources` learns), until the run directory is removed.
 *
 * The worker is free again as soon as it reports an attempt's result:
 * `onVacated` says so at once, while the outputs are still being copied
 * back, so the scheduler can give it its next assignment during the copy
 * (one ssh round trip per attempt no longer stands between two steps of a
 * worker). The attempt itself stays in flight until its result, with the
 * master's paths, is delivered; if the connection is lost during the copy
 * the result is never delivered and the attempt is re-run with the worker.
 */
import type { Stager } from '../connectors/connector.js';
import type { Channel } from '../protocol/channel.js';
import type { AssignMsg, MasterToWorker, WorkerToMaster } from '../protocol/execution.js';
import type { SealedFile } from '../protocol/sealed.js';
import type { StagedMsg, TransferMsg } from '../protocol/data-port.js';
import type { DataSources } from './sources.js';

type WorkerChannel = Channel<MasterToWorker, WorkerToMaster>;

/** Uploads of one assignment's inputs in flight at once. */
const PUTS_AT_ONCE = 8;

interface Staged {
  readonly outDir: string;
  readonly remoteOut: string;
  readonly logBase: string;
  readonly remoteLog: string;
  /** Inputs left for a direct pull: the key the worker was given -> the master's copy (staged only after a failed pull). */
  readonly lazy: ReadonlyMap<string, string>;
  /** Lazy inputs the master's copy was put on the host for (or refused). */
  readonly answered: Set<string>;
  /** Inputs read in place on the host (their paths there). */
  readonly inPlace: readonly string[];
}

/** Every string of `v` that `f` maps, replaced (object keys too). */
function rewrite<T>(v: T, f: (s: string) => string): T {
  if (typeof v === 'string') return f(v) as T;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => rewrite(x, f)) as T;
  return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [f(k), rewrite(x, f)])) as T;
}

const under = (s: string, from: string, to: string) => (s === from ? to : s.startsWith(`${from}/`) ? to + s.slice(from.length) : s);

/** Where the host already holds an input (data in place, docs/connectors/data-in-place.md): its path and size there; undefined for a file to copy. */
export type InPlaceLookup = (id: string) => { readonly path: string; readonly size: number } | undefined;

/** A staged worker channel; `onVacated` hears of each attempt the worker has finished whose result is still being copied back. */
export type StagedChannel = WorkerChannel & { onVacated(h: (id: string) => void): void };

const RESULT_TYPES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

export function stagedChannel(inner: WorkerChannel, stager: Stager, slot: string, sources?: DataSources, inPlace: InPlaceLookup = () => undefined): StagedChannel {
  const handlers: ((m: WorkerToMaster) => void)[] = [];
  const vacated: ((id: string) => void)[] = [];
  const deliver = (m: WorkerToMaster) => {
    for (const h of handlers) h(m);
  };
  const attempts = new Map<string, Staged>();
  let outgoing: Promise<void> = Promise.resolve();
  let incoming: Promise<void> = Promise.resolve();

  const fail = (id: string, message: string): WorkerToMaster => ({ type: 'failed', id, exitStatus: null, signal: null, message, stderrTail: '', durationMs: 0 });

  const stageAssign = async (msg: AssignMsg & { sealed?: { files: Record<string, unknown> } }): Promise<void> => {
    try {
      const copies = new Map<string, string>();
      const lazy = new Map<string, string>();
      const files = (msg.sealed?.files ?? {}) as Record<string, SealedFile>;
      /** Keys whose ciphertext is already on this host: read there (hash-checked as any input), not pulled. */
      const here = new Set<string>();
      const uploads: string[] = [];
      const read: string[] = [];
      for (const [p, f] of Object.entries(files)) {
        const there = inPlace(p);
        if (there) {
          // Data in place: read where the owner put it, never copied (docs/connectors/data-in-place.md).
          if (!stager.inPlace) throw new Error(`input ${p} is on the host, and this connector cannot read a file in place`);
          read.push(there.path);
          copies.set(p, await stager.inPlace(there.path, there.size));
          continue;
        }
        const kept = sources?.onHost(p, stager);
        if (kept !== undefined) {
          copies.set(p, kept);
          here.add(kept);
        } else if (sources && f.source) {
          const key = stager.fresh();
          lazy.set(key, p);
          copies.set(p, key);
        } else uploads.push(p);
      }
      // A few uploads at once over the shared connection (a gather step may read a thousand files).
      for (let i = 0; i < uploads.length; i += PUTS_AT_ONCE) {
        const batch = uploads.slice(i, i + PUTS_AT_ONCE);
        const paths = await Promise.all(batch.map((p) => stager.put(p)));
        batch.forEach((p, k) => copies.set(p, paths[k]!));
      }
      const s: Staged = { outDir: msg.outDir, remoteOut: stager.fresh(), logBase: msg.logBase, remoteLog: stager.fresh(), lazy, answered: new Set(), inPlace: read };
      attempts.set(msg.id, s);
      const staged = rewrite(msg, (x) => copies.get(x) ?? (x === msg.outDir ? s.remoteOut : x === msg.logBase ? s.remoteLog : x));
      if (lazy.size > 0 || here.size > 0) {
        const sealed = (staged as typeof msg).sealed!;
        const mark = (k: string, f: SealedFile): SealedFile => {
          if (here.has(k)) return { sha256: f.sha256, wrappedKey: f.wrappedKey };
          return lazy.has(k) && f.source ? { ...f, source: { ...f.source, lazy: true } } : f;
        };
        const marked = Object.fromEntries(Object.entries(sealed.files as Record<string, SealedFile>).map(([k, f]) => [k, mark(k, f)]));
        inner.send({ ...staged, sealed: { ...sealed, files: marked }, scratchDir: stager.scratch(msg.scratchDir) } as AssignMsg);
      } else inner.send({ ...staged, scratchDir: stager.scratch(msg.scratchDir) });
    } catch (e) {
      // A copy cut by a lost connection is the worker's loss (the pool re-runs its attempts), not the step's failure.
      if (await lost()) return;
      deliver(fail(msg.id, `${msg.label} on worker ${slot}: staging its inputs on the worker's host failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  };

  const lost = async () => (stager.connected ? !(await stager.connected().catch(() => false)) : false);

  /** The message with the master's paths again, once the attempt's outputs are copied back; null when a success's outputs were cut off by a lost connection. */
  const unstage = async (m: WorkerToMaster): Promise<WorkerToMaster | null> => {
    if (m.type !== 'succeeded' && m.type !== 'failed' && m.type !== 'cancelled') return m;
    const s = attempts.get(m.id);
    if (!s) return m;
    attempts.delete(m.id);
    // Direct transfers: a succeeded attempt's outputs stay on the host for its data port to serve.
    const keep = sources !== undefined && m.type === 'succeeded';
    const logs = (['out', 'err'] as const).map((ext) => [`${s.remoteLog}.${ext}.age`, `${s.logBase}.${ext}.age`] as const);
    const discard = [...(keep ? [] : [s.remoteOut]), ...logs.map(([r]) => r)];
    try {
      if (stager.collect) {
        // One round trip per attempt (bench/connectors overhead).
        await stager.collect(s.remoteOut, s.outDir, logs, discard);
      } else {
        try {
          await stager.getTree(s.remoteOut, s.outDir);
          for (const [r, l] of logs) await stager.getFile(r, l);
        } finally {
          stager.discard(discard);
        }
      }
    } catch (e) {
      // Outputs cut off by a lost connection: the attempt is lost with its worker (and re-run), never half accepted.
      if (m.type === 'succeeded' && (await lost())) return null;
      if (m.type === 'succeeded') return fail(m.id, `copying the outputs of ${m.id} back from worker ${slot} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const back = rewrite(m, (x) => {
      const local = under(under(x, s.remoteOut, s.outDir), s.remoteLog, s.logBase);
      if (keep && local !== x && x.startsWith(`${s.remoteOut}/`)) sources.offeredAs(slot, local, x, stager);
      return local;
    });
    // A failure of an attempt that read data in place says where that data is (a hash mismatch names only the file).
    return back.type === 'failed' && s.inPlace.length > 0 ? { ...back, message: `${back.message} (read in place: ${s.inPlace.join(', ')} on ${stager.where ?? `worker ${slot}'s host`})` } : back;
  };

  /** §15.8: a failed pull of a lazy input is the request for the master's copy; its report names the master's path again. */
  const transfer = (t: TransferMsg): WorkerToMaster => {
    const a = attempts.get(t.id);
    const master = a?.lazy.get(t.file);
    if (!a || master === undefined) return t as unknown as WorkerToMaster;
    // Answered once per attempt and file: repeated reports copy nothing more.
    if (t.outcome === 'fallback' && !a.answered.has(t.file)) {
      a.answered.add(t.file);
      const answer = (a: Omit<StagedMsg, 'type' | 'id' | 'file'>) => inner.send({ type: 'staged', id: t.id, file: t.file, ...a } satisfies StagedMsg as unknown as MasterToWorker);
      stager.put(master).then(
        (p) => answer({ path: p }),
        (e: unknown) => answer({ error: e instanceof Error ? e.message : String(e) }),
      );
    }
    return { ...t, file: master } as unknown as WorkerToMaster;
  };

  inner.onMessage((m) => {
    // Answered at once, not behind a result that is being copied back.
    if ((m as { type: string }).type === 'transfer') return deliver(transfer(m as unknown as TransferMsg));
    // The worker is idle again: say so now, not after the copy-back queued below.
    if (RESULT_TYPES.has(m.type) && attempts.has((m as { id: string }).id)) for (const h of vacated) h((m as { id: string }).id);
    incoming = incoming.then(async () => {
      const r = await unstage(m);
      if (r) deliver(r);
    });
  });

  return {
    send(msg) {
      // Heartbeats are not held behind an assignment whose inputs are being copied (§11: the worker would
      // take a long copy for a silent master and stop).
      if (msg.type === 'heartbeat') return inner.send(msg);
      outgoing = outgoing.then(() => (msg.type === 'assign' ? stageAssign(msg) : inner.send(msg)));
    },
    onMessage(h) {
      handlers.push(h);
    },
    onVacated(h) {
      vacated.push(h);
    },
    onClose(h) {
      inner.onClose(h);
    },
    close() {
      inner.close();
    },
  };
}
