/**
 * The attested executor's part in worker ↔ worker transfers
 * (docs/protocol.md §15): it opens the data port, announces its address in
 * `ready`, applies the master's `revoked` messages to the port and to its
 * own pulls, offers each ciphertext it produced, and reports each pull to
 * the master (`transfer`). The executor loop sees the §1 channel unchanged:
 * this wraps it.
 */
import type { Channel } from '../../protocol/channel.js';
import type { DataAddress, DataReadyMsg, SealedMasterToWorker, SealedWorkerToMaster } from '../../protocol/data-port.js';
import type { MasterToWorker, WorkerToMaster } from '../../protocol/execution.js';
import { mapFiles } from '../../protocol/sealed.js';
import { DataPort, type PeerIdentity } from './data-port.js';
import { puller, type Puller } from './fetch.js';

export interface DataFlow {
  /** The execution channel as the executor loop sees it (§1 messages only; `ready` carries the data address). */
  readonly channel: Channel<WorkerToMaster, MasterToWorker>;
  readonly puller: Puller;
  readonly port: DataPort;
  /** Offers the file outputs of a succeeded attempt (paths the master will record, with the reported SHA-256). */
  offer(outputs: unknown): void;
  close(): Promise<void>;
}

/** `host`: the address the data port listens on — the one this worker reaches the master from, so other workers can reach it too. */
export async function openDataFlow(me: PeerIdentity, raw: Channel<SealedWorkerToMaster, SealedMasterToWorker>, host: string): Promise<DataFlow> {
  const port = await DataPort.start(me, host);
  const address: DataAddress = port.address;
  const handlers: ((m: MasterToWorker) => void)[] = [];
  raw.onMessage((m) => {
    if (m.type === 'revoked') return port.revoke(Array.isArray(m.serials) ? m.serials.filter((s) => typeof s === 'string') : []);
    for (const h of handlers) h(m);
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
    puller: puller(me, port.revoked, (r) => raw.send({ type: 'transfer', ...r })),
    offer(outputs) {
      mapFiles(outputs, (f) => {
        if (typeof f['sha256'] === 'string') port.offer(f.path, f.path, f['sha256']);
        return f;
      });
    },
    close: () => port.close(),
  };
}
