/**
 * How Slurm jobs reach the master (docs/connectors/slurm.md "Reach"). The
 * master's key broker and executor port listen on its loopback; the nodes
 * cannot dial that. For the length of a run the connector listens on the
 * deployment's `masterAddress` at the *same port numbers* and relays each
 * connection, byte for byte, to the loopback port: the provisioner is told
 * `masterAddress:<broker port>`, and dials the executor port the broker
 * names on the same address. The relay reads nothing and adds no trust:
 * TLS runs end to end between the worker and the master (the worker checks
 * the master's pin; the master checks evidence and, later, certificates).
 */
import net from 'node:net';
import { OperationError } from '../../errors.js';

export interface Relay {
  /** `address:port` the nodes dial for loopback `port`. */
  readonly remote: string;
  close(): Promise<void>;
}

/** Listens on `address:port` and relays every connection to `127.0.0.1:port`. */
export async function relayPort(deployment: string, address: string, port: number): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  // Half-open both ways: each side's end is passed on (pipe), so nothing the other side still sends is cut off.
  const server = net.createServer({ allowHalfOpen: true }, (inbound) => {
    const outbound = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new OperationError(`deployment "${deployment}" (slurm): cannot listen on masterAddress ${address}:${port} for the nodes (${e.code ?? e.message}) — give an address of this machine that the nodes can dial`)),
    );
    server.listen(port, address, () => resolve());
  });
  return {
    remote: `${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
