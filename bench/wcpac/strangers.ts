/**
 * bench/wcpac/strangers: what a connection costs the master's provisioning
 * port (docs/protocol.md §3a), in the master's own CPU time, by what the
 * peer sends: not TLS at all; TLS and no ticket; TLS and a wrong ticket;
 * and, beside them, a ticketed connection up to the master's hello (a fresh
 * challenge) — what every stranger cost before launch tickets. The clients
 * run in a child process, so the master's `process.cpuUsage()` is its own.
 *
 *   node dist/bench/wcpac/strangers.js [--n 2000]
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { definePolicy } from '../../src/attestation/policy.js';
import { ephemeralMaster } from '../../src/crypto/master-key.js';
import { RunCa } from '../../src/crypto/run-ca.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { KeyBroker } from '../../src/master/broker/broker.js';
import { SimRoot } from '../../src/tee/sim/index.js';

const i = process.argv.indexOf('--n');
const N = i >= 0 ? Number(process.argv[i + 1]) : 2000;

const master = ephemeralMaster();
const runCa = await RunCa.create(master, 'bench-strangers', 3_600_000);
let lines = 0;
const broker = await KeyBroker.start({
  runId: 'bench-strangers',
  master,
  runCa,
  policy: definePolicy({ allowSimulated: true, sim: { measurements: [] } }),
  collateral: new SimRoot().collateral(),
  bundle: { sha256: createHash('sha256').update('x').digest(), key: randomBytes(32) },
  identities: { broker: master.brokerIdentity, run: X25519Identity.generate() },
  record: () => void lines++,
});
const { host, port } = broker.address;

/** The client program: N connections of one kind, 32 at a time; each waits for the master to close (or, ticketed, for the hello). */
const CLIENT = `
const net = require('node:net'), tls = require('node:tls');
const [kind, n, host, port, tickets] = [process.argv[1], +process.argv[2], process.argv[3], +process.argv[4], JSON.parse(process.argv[5])];
let next = 0;
const one = (k) => new Promise((resolve) => {
  if (kind === 'tcp-junk') {
    const s = net.connect(port, host, () => s.end(Buffer.alloc(64, 7)));
    s.on('error', () => {}); s.on('close', resolve); s.resume(); return;
  }
  const s = tls.connect({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  s.on('error', () => {}); s.on('close', resolve);
  s.once('secureConnect', () => {
    if (kind === 'tls-no-ticket') s.write('{"type":"attest","slot":"x-1","challenge":"","evidence":"","x25519":"","identity":""}\\n');
    else if (kind === 'tls-wrong-ticket') s.write(JSON.stringify({ type: 'ticket', slot: 'bench-1', ticket: 'A'.repeat(43) }) + '\\n');
    else s.write(JSON.stringify({ type: 'ticket', slot: 'bench-' + k, ticket: tickets[k] }) + '\\n');
  });
  s.on('data', () => s.destroy()); // the hello (ticketed only)
});
Promise.all(Array.from({ length: 32 }, async () => { while (next < n) await one(next++); })).then(() => process.exit(0));
`;

async function measure(kind: string): Promise<{ kind: string; cpuUsPerConn: number; wallMsPerConn: number }> {
  const tickets = kind === 'tls-ticketed' ? Array.from({ length: N }, (_, k) => broker.expect({ slot: `bench-${k}`, deployment: 'bench', connector: 'local', platform: 'sim' })) : [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => execFile(process.execPath, ['-e', CLIENT, kind, String(N), host, String(port), JSON.stringify(tickets)], { maxBuffer: 1 << 20 }, (e) => (e ? reject(e) : resolve())));
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { kind, cpuUsPerConn: (c.user + c.system) / N, wallMsPerConn: wall / N };
}

const rows = [];
for (const kind of ['tcp-junk', 'tls-no-ticket', 'tls-wrong-ticket', 'tls-ticketed']) rows.push(await measure(kind));
console.log(`master CPU per connection, ${N} connections each (32 at a time), challenges issued: ${broker.challengesIssued}, journal lines: ${lines}`);
console.log('| peer sends | master CPU µs / connection | wall ms / connection |\n|---|---:|---:|');
for (const r of rows) console.log(`| ${r.kind} | ${r.cpuUsPerConn.toFixed(0)} | ${r.wallMsPerConn.toFixed(2)} |`);
await broker.close();
