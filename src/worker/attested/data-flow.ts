/**
 * The attested executor's part in worker ↔ worker transfers
 * (docs/protocol.md §15): it opens the data port, announces its address in
 * `ready`, applies the master's `revoked` messages to the port and to its
 * own pulls, offers each ciphertext it produced, and reports each pull to
 * the master (`transfer`). The executor loop sees the §1 channel unchanged:
 * this wraps it.
 */
import type { Channel } from '../../protocol/channel.js';
import type { DataAddress, DataReadyMsg, SandboxMsg, SealedMasterToWorker, SealedWorkerToMaster, StagedMsg } from '../../protocol/data-port.js';
import type { MasterToWorker, WorkerToMaster } from '../../protocol/execution.js';
import { mapFiles } from '../../protocol/sealed.js';
import { DataPort, type PeerIdentity } from './data-port.js';
import { puller, type Puller } from './fetch.js';

export interface DataFlow {
  /** The execution channel as the executor loop sees it (§1 messages only; `ready` carries the data address). */
  readonly channel: Channel<WorkerToMaster, MasterToWorker>;
  readonly puller: Puller;
  readonly port: DataPort;
  /** §7.2: the run's sealed expression sandbox, asked of the master once, on first use (empty if the run has none). */
  sandbox(): Promise<Buffer>;
  /** Offers the file outputs of a succeeded attempt (paths the master will record, with the reported SHA-256). */
  offer(outputs: unknown): void;
  close(): Promise<void>;
}

/**
 * `host`: the address the data port listens on — the one this worker
 * reaches the master from, so other workers can reach it too; or the one
 * its connector names (§15.8: `SEALFLOW_DATA_LISTEN`, e.g. `0.0.0.0` on a
 * host that reaches the master through a tunnel to its loopback; the
 * master then tells consumers the host's address it knows, not this one).
 */
export async function openDataFlow(me: PeerIdentity, raw: Channel<SealedWorkerToMaster, SealedMasterToWorker>, host: string): Promise<DataFlow> {
  const port = await DataPort.start(me, host);
  const address: DataAddress = port.address;
  const handlers: ((m: MasterToWorker) => void)[] = [];
  /** `attempt\0file` -> the waiter for the master's `staged` answer (§15.8). */
  const waiting = new Map<string, { resolve: (p: string) => void; reject: (e: Error) => void }>();
  const staged = (m: StagedMsg) => {
    const w = waiting.get(`${m.id}\0${m.file}`);
    if (!w) return;
    waiting.delete(`${m.id}\0${m.file}`);
    if (m.path !== undefined) w.resolve(m.path);
    else w.reject(new Error(`the master could not copy ${m.file} to this host: ${m.error ?? 'no reason given'}`));
  };
  let sandbox: { promise: Promise<Buffer>; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  const sandboxArrived = (m: SandboxMsg) => sandbox?.resolve(Buffer.from(m.sealed, 'base64'));
  raw.onMessage((m) => {
    if (m.type === 'sandbox') return sandboxArrived(m);
    if (m.type === 'revoked') return port.revoke(Array.isArray(m.serials) ? m.serials.filter((s) => typeof s === 'string') : []);
    if (m.type === 'staged') return staged(m);
    for (const h of handlers) h(m);
  });
  raw.onClose(() => {
    sandbox?.reject(new Error('the channel to the master closed before the expression sandbox arrived'));
    for (const w of waiting.values()) w.reject(new Error('the channel to the master closed'));
    waiting.clear();
  });
  const masterCopy = (attempt: string, file: string) =>
    new Promise<string>((resolve, reject) => {
      const k = `${attempt}\0${file}`;
      if (waiting.has(k)) return reject(new Error(`already waiting for ${file}`));
      waiting.set(k, { resolve, reject });
    });
  const channel: Channel<WorkerToMaster, MasterToWorker> = {
    send: (m) => raw.send(m.type === 'ready' ? ({ ...m, data: address } satisfies DataReadyMsg) : m),
    onMessage: (h) => void handlers.push(h),
    onClose: (h) => raw.onClose(h),
    close: () => raw.close(),
  };
  return {
    channel,
    port,
    puller: puller(me, port.revoked, (r) => raw.send({ type: 'transfer', ...r }), masterCopy),
    sandbox() {
      if (!sandbox) {
        let resolve!: (b: Buffer) => void;
        let reject!: (e: Error) => void;
        const promise = new Promise<Buffer>((res, rej) => ((resolve = res), (reject = rej)));
        sandbox = { promise, resolve, reject };
        raw.send({ type: 'sandbox-get' });
      }
      return sandbox.promise;
    },
    offer(outputs) {
      mapFiles(outputs, (f) => {
        if (typeof f['sha256'] === 'string') port.offer(f.path, f.path, f['sha256']);
        return f;
      });
    },
    close: () => port.close(),
  };
}
