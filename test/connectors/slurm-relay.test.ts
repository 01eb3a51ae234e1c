/**
 * The relay that lets Slurm jobs dial the master (src/connectors/slurm/relay.ts):
 * it listens on the deployment's address at the loopback port's own number
 * and copies bytes both ways, reading none. Hostile peers get nothing from
 * it the loopback port would not give them: garbage is relayed (and refused
 * there), a port with nothing behind it closes the connection, and closing
 * the relay ends every connection through it. 127.0.0.2 stands for the
 * master's address on the cluster network.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { relayPort } from '../../src/connectors/slurm/relay.js';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}
const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('the relay of the master\'s ports for Slurm jobs', () => {
  test('copies bytes both ways unchanged, at the same port number on the other address', async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    const port = await listen(echo);
    const relay = await relayPort('hpc', '127.0.0.2', port);
    assert.equal(relay.remote, `127.0.0.2:${port}`);
    const bytes = randomBytes(256 * 1024);
    const c = net.connect({ host: '127.0.0.2', port });
    const got: Buffer[] = [];
    c.on('data', (b: Buffer) => got.push(b));
    c.end(bytes);
    await closed(c);
    assert.ok(Buffer.concat(got).equals(bytes));
    await relay.close();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  test('a connection to a loopback port with nothing behind it is closed, and the relay keeps serving', async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r())); // nothing listens on 127.0.0.1:port now
    const relay = await relayPort('hpc', '127.0.0.2', port);
    for (let i = 0; i < 3; i++) {
      const c = net.connect({ host: '127.0.0.2', port });
      c.on('error', () => undefined);
      c.write(randomBytes(64));
      await closed(c);
    }
    await relay.close();
  });

  test('closing the relay ends the connections through it; an address it cannot bind is an error naming the deployment and what to give', async () => {
    const hold = net.createServer(() => undefined);
    const port = await listen(hold);
    const relay = await relayPort('hpc', '127.0.0.2', port);
    const c = net.connect({ host: '127.0.0.2', port });
    c.on('error', () => undefined);
    await new Promise<void>((r) => c.once('connect', () => r()));
    await relay.close();
    await closed(c);
    await assert.rejects(relayPort('hpc', '192.0.2.1', port), /deployment "hpc" \(slurm\): cannot listen on masterAddress 192\.0\.2\.1:\d+ for the nodes \(EADDRNOTAVAIL\) — give an address of this machine that the nodes can dial/);
    await new Promise<void>((r) => hold.close(() => r()));
  });
});
