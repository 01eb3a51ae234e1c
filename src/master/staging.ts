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
 */
import type { Stager } from '../connectors/connector.js';
import type { Channel } from '../protocol/channel.js';
import type { AssignMsg, MasterToWorker, WorkerToMaster } from '../protocol/execution.js';

type WorkerChannel = Channel<MasterToWorker, WorkerToMaster>;

interface Staged {
  readonly outDir: string;
  readonly remoteOut: string;
  readonly logBase: string;
  readonly remoteLog: string;
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

export function stagedChannel(inner: WorkerChannel, stager: Stager, slot: string, inPlace: InPlaceLookup = () => undefined): WorkerChannel {
  const handlers: ((m: WorkerToMaster) => void)[] = [];
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
      const read: string[] = [];
      for (const p of Object.keys(msg.sealed?.files ?? {})) {
        const there = inPlace(p);
        if (there) read.push(there.path);
        if (there && !stager.inPlace) throw new Error(`input ${p} is on the host, and this connector cannot read a file in place`);
        copies.set(p, there ? await stager.inPlace!(there.path, there.size) : await stager.put(p)); // read in place, never copied
      }
      const s: Staged = { outDir: msg.outDir, remoteOut: stager.fresh(), logBase: msg.logBase, remoteLog: stager.fresh(), inPlace: read };
      attempts.set(msg.id, s);
      const staged = rewrite(msg, (x) => copies.get(x) ?? (x === msg.outDir ? s.remoteOut : x === msg.logBase ? s.remoteLog : x));
      inner.send({ ...staged, scratchDir: stager.scratch(msg.scratchDir) });
    } catch (e) {
      deliver(fail(msg.id, `${msg.label} on worker ${slot}: staging its inputs on the worker's host failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  };

  const unstage = async (m: WorkerToMaster): Promise<WorkerToMaster> => {
    if (m.type !== 'succeeded' && m.type !== 'failed' && m.type !== 'cancelled') return m;
    const s = attempts.get(m.id);
    if (!s) return m;
    attempts.delete(m.id);
    try {
      await stager.getTree(s.remoteOut, s.outDir);
      for (const ext of ['out', 'err']) await stager.getFile(`${s.remoteLog}.${ext}.age`, `${s.logBase}.${ext}.age`);
    } catch (e) {
      if (m.type === 'succeeded') return fail(m.id, `copying the outputs of ${m.id} back from worker ${slot} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      stager.discard([s.remoteOut, `${s.remoteLog}.out.age`, `${s.remoteLog}.err.age`]);
    }
    const back = rewrite(m, (x) => under(under(x, s.remoteOut, s.outDir), s.remoteLog, s.logBase));
    // A failure of an attempt that read data in place says where that data is (a hash mismatch names only the file).
    return back.type === 'failed' && s.inPlace.length > 0 ? { ...back, message: `${back.message} (read in place: ${s.inPlace.join(', ')} on ${stager.where ?? `worker ${slot}'s host`})` } : back;
  };

  inner.onMessage((m) => {
    incoming = incoming.then(async () => deliver(await unstage(m)));
  });

  return {
    send(msg) {
      outgoing = outgoing.then(() => (msg.type === 'assign' ? stageAssign(msg) : inner.send(msg)));
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
