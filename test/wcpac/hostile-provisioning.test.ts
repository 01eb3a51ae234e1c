/**
 * docs/protocol.md "Framing and limits", §4–§6: a hostile client on the
 * real broker's provisioning port (TLS, not authenticated). Whatever it
 * sends closes only its own connection; the master lives on and a
 * legitimate worker still attests; its refusals only add to a rate-limited
 * counter; its challenge is dropped when its connection closes.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { connectRaw, expectSlot, launchWorker, setup, type Harness } from './harness.js';
import { installFakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/wait.js';

const INHERITED = ['valueOf', 'hasOwnProperty', 'toLocaleString', '__proto__', 'constructor', 'toString'];

let probes = 0;

/** A TLS connection that presents the launch ticket of a freshly expected slot (§3a): what follows reaches the hello. */
function ticketed(h: Harness): tls.TLSSocket {
  const slot = `probe-${++probes}`;
  expectSlot(h, slot);
  const ticket = h.tickets.get(slot) as string;
  h.tickets.delete(slot);
  const { host, port } = h.broker.address;
  const socket = tls.connect({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  socket.once('secureConnect', () => socket.write(JSON.stringify({ type: 'ticket', slot, ticket }) + '\n'));
  return socket;
}

/** A raw line on a fresh ticketed connection, sent after the hello; resolves with the types of what came back when the master closed. */
async function rawLine(h: Harness, line: string | Buffer): Promise<string[]> {
  const socket = ticketed(h);
  socket.on('error', () => undefined);
  let received = '';
  let sent = false;
  await new Promise<void>((resolve) => {
    socket.on('data', (b: Buffer) => {
      received += b.toString();
      if (!sent && received.includes('\n')) {
        sent = true;
        socket.write(line);
      }
    });
    socket.on('close', () => resolve());
  });
  return received.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { type: string }).type);
}

async function legitimateWorkerAttests(h: Harness, slot: string): Promise<void> {
  expectSlot(h, slot);
  const run = await launchWorker(h, slot);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /BUNDLE-STARTED/);
  assert.ok(h.broker.workers.has(slot));
}

function strangerLines(h: Harness) {
  return h.decisions.filter((d) => d.type === 'protocol-refusal');
}

describe('"Framing and limits" on the provisioning port (unauthenticated peers)', () => {
  test('each inherited name sent as a message type closes only that connection; the master lives and a legitimate worker still attests', async () => {
    const h = await setup();
    try {
      for (const name of INHERITED) {
        // Before: valueOf / hasOwnProperty / toLocaleString threw in dispatch and the master process exited.
        const replies = await rawLine(h, `{"type":${JSON.stringify(name)}}\n`);
        assert.deepEqual(replies, ['hello'], `${name}: closed after the hello, nothing else sent`);
      }
      assert.equal(h.broker.strangerRefusals.byReason.get('invalid-message'), INHERITED.length);
      assert.equal(h.decisions.filter((d) => d.type === 'attestation').length, 0, 'no attestation decision for strangers');
      await legitimateWorkerAttests(h, 'local-1');
    } finally {
      await h.close();
    }
  });

  test('wrong shapes, wrong field types and non-JSON lines close the connection and reach no attestation check', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const c = await connectRaw(h);
      const good = { type: 'attest', slot: 'local-1', challenge: c.hello.challenge, evidence: '', x25519: '', identity: '' };
      const lines = [
        JSON.stringify({ ...good, slot: 5 }),
        JSON.stringify({ ...good, evidence: { a: 1 } }),
        JSON.stringify({ type: 'attest' }),
        JSON.stringify({ ...good, extra: 'field' }),
        '[1,2,3]',
        'null',
        '"attest"',
        '{"type":1}',
        '{"type":"attest",',
        '\u0000\u00ff not json',
      ];
      for (const l of lines) assert.deepEqual(await rawLine(h, l + '\n'), ['hello'], l);
      assert.equal(h.decisions.filter((d) => d.type === 'attestation').length, 0, 'the attestation check never ran');
      assert.equal(h.broker.strangerRefusals.total, lines.length);
      await legitimateWorkerAttests(h, 'local-2');
    } finally {
      await h.close();
    }
  });

  test("strangers' refusals are counted, and journalled at most once per interval", async () => {
    const h = await setup({ refusalLogIntervalMs: 3_600_000 });
    try {
      for (let i = 0; i < 5; i++) await rawLine(h, '{"type":"valueOf"}\n');
      assert.equal(h.broker.strangerRefusals.total, 5);
      const lines = strangerLines(h);
      assert.equal(lines.length, 1, 'one journal line for five refusals within the interval');
      assert.ok(lines[0]?.type === 'protocol-refusal' && lines[0].channel === 'provisioning' && lines[0].worker === undefined);
    } finally {
      await h.close();
    }
  });

  test('an 8 MiB line without a newline closes the connection at once (frame-too-large), and the master goes on', async () => {
    const h = await setup();
    try {
      const replies = await rawLine(h, Buffer.alloc(8 * 1024 * 1024, 0x61));
      assert.deepEqual(replies, ['hello']);
      assert.equal(h.broker.strangerRefusals.byReason.get('frame-too-large'), 1);
      await legitimateWorkerAttests(h, 'local-1');
    } finally {
      await h.close();
    }
  });

  test('a slow-drip client is closed at the handshake deadline, which its bytes do not extend', async () => {
    const h = await setup({ handshakeDeadlineMs: 10_000 });
    const clock = installFakeClock();
    try {
      const { host, port } = h.broker.address;
      const socket = tls.connect({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
      socket.on('error', () => undefined);
      const closed = new Promise<void>((r) => socket.on('close', () => r()));
      await new Promise<void>((r) => socket.once('secureConnect', () => r()));
      // The ticket message itself, dripped: the deadline runs from TCP connect, before any ticket (§3a).
      const drip = '{"type":"ticket","slot":"local-1"';
      // One byte per second of (fake) time: the old idle timer was reset by each byte and never fired.
      for (let i = 0; i < 12 && !socket.destroyed; i++) {
        await new Promise<void>((r) => socket.write(drip[i] ?? ' ', () => r()));
        await new Promise((r) => setImmediate(r));
        clock.tick(1_000);
      }
      await closed;
      assert.equal(h.broker.strangerRefusals.byReason.get('handshake-deadline'), 1);
    } finally {
      clock.uninstall();
      await h.close();
    }
  });

  test('challenges are dropped when used and when their connection closes: the map is empty after connections close', async () => {
    const h = await setup();
    try {
      for (let i = 0; i < 5; i++) await rawLine(h, '{"type":"valueOf"}\n');
      // Clients that hang up by themselves after the hello.
      for (let i = 0; i < 5; i++) {
        const s = ticketed(h);
        s.on('error', () => undefined);
        await new Promise<void>((r) => s.once('data', () => r()));
        s.destroy();
      }
      await legitimateWorkerAttests(h, 'local-1');
      assert.ok(await until(() => h.broker.pendingChallenges === 0), `challenges left: ${h.broker.pendingChallenges}`);
    } finally {
      await h.close();
    }
  });
});
