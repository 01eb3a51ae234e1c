/**
 * docs/protocol.md §3a, launch tickets: before a provisioning connection has
 * presented the live ticket of a launched slot, the master issues no
 * challenge, verifies no evidence and answers nothing; such connections are
 * only counted, and journalled at most once per interval. A ticket is
 * single-use, bound to its slot, and withdrawn when its launch is abandoned.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { Tickets } from '../../src/master/broker/tickets.js';
import { AttestedSession } from '../../src/master/session.js';
import { ExecServer } from '../../src/master/broker/exec-server.js';
import { withMasterHome } from '../helpers/master-home.js';
import { connectRaw, expectSlot, forgeAttest, launchWorker, setup, type Harness } from './harness.js';

/** Opens a TLS connection, sends `lines` once it is up, and resolves with what the master sent before it closed. */
function tlsProbe(h: Harness, lines: readonly object[]): Promise<string> {
  const { host, port } = h.broker.address;
  return new Promise((resolve) => {
    const s = tls.connect({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
    let got = '';
    s.on('data', (b: Buffer) => (got += b.toString()));
    s.on('error', () => undefined);
    s.once('secureConnect', () => s.write(lines.map((l) => JSON.stringify(l) + '\n').join('')));
    s.on('close', () => resolve(got));
  });
}

/** A plain TCP connection that sends `bytes` (not TLS) and resolves when the master has closed it. */
function tcpProbe(h: Harness, bytes: Buffer): Promise<void> {
  const { host, port } = h.broker.address;
  return new Promise((resolve) => {
    const s = net.connect(port, host, () => s.end(bytes));
    s.on('error', () => undefined);
    s.on('close', () => resolve());
    s.resume();
  });
}

/** Runs `n` probes with at most `width` open at once. */
async function flood(n: number, width: number, probe: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await probe(next++);
  }));
}

const fakeTicket = () => randomBytes(32).toString('base64url');
const lines = (h: Harness) => h.decisions.filter((d) => d.type === 'protocol-refusal').length;

describe('§3a launch tickets', () => {
  test('a flood of 10,000 connections without a valid ticket gets no challenge and no answer, adds at most a few journal lines, and the real worker still attests', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      expectSlot(h, 'local-2');
      const real = h.tickets.get('local-1') as string;
      const other = h.tickets.get('local-2') as string;
      // A ticket that was valid once: local-2 attests with it, then it is replayed.
      const spent = (await launchWorker(h, 'local-2')).code;
      assert.equal(spent, 0);
      const challengesBefore = h.broker.challengesIssued;
      const decisionsBefore = h.decisions.length;
      const answers: string[] = [];
      const kinds: readonly ((i: number) => Promise<unknown>)[] = [
        // Not TLS at all: junk, or a ticket line in clear.
        (i) => tcpProbe(h, i % 2 === 0 ? randomBytes(64) : Buffer.from(JSON.stringify({ type: 'ticket', slot: 'local-1', ticket: real }) + '\n')),
        // TLS, then no ticket: the attest message straight away, or a hello of its own.
        () => tlsProbe(h, [{ type: 'attest', slot: 'local-1', challenge: 'AAAA', evidence: '', x25519: '', identity: '' }]).then((a) => answers.push(a)),
        // A random ticket for the real slot.
        () => tlsProbe(h, [{ type: 'ticket', slot: 'local-1', ticket: fakeTicket() }]).then((a) => answers.push(a)),
        // The replayed, spent ticket of local-2.
        () => tlsProbe(h, [{ type: 'ticket', slot: 'local-2', ticket: other }]).then((a) => answers.push(a)),
        // local-2's old ticket for local-1's slot (another slot's ticket).
        () => tlsProbe(h, [{ type: 'ticket', slot: 'local-1', ticket: other }]).then((a) => answers.push(a)),
        // A ticket for a slot never launched.
        () => tlsProbe(h, [{ type: 'ticket', slot: 'ghost-1', ticket: real }]).then((a) => answers.push(a)),
      ];
      // 9,500 plain TCP connections (cheap for the attacker) and 500 TLS ones of the other kinds.
      await flood(10_000, 64, (i) => (i < 9_500 ? (kinds[0] as (i: number) => Promise<unknown>)(i) : (kinds[1 + (i % 5)] as (i: number) => Promise<unknown>)(i)));
      assert.equal(h.broker.challengesIssued, challengesBefore, 'no challenge was issued to any of them');
      assert.equal(h.broker.pendingChallenges, 0);
      assert.deepEqual(answers.filter((a) => a !== ''), [], 'the master sent none of them a byte');
      assert.equal(h.decisions.filter((d) => d.type === 'attestation').length, 1, 'no attestation decision but local-2\'s');
      assert.ok(h.decisions.length - decisionsBefore <= 2, `journal lines added: ${h.decisions.length - decisionsBefore}`);
      assert.ok(lines(h) <= 2);
      assert.equal(h.broker.strangerRefusals.total, 10_000, JSON.stringify([...h.broker.strangerRefusals.byReason]));
      assert.equal(h.broker.strangerRefusals.byReason.get('ticket-refused'), 400);
      // The real worker's ticket survived every wrong guess: it attests.
      const run = await launchWorker(h, 'local-1');
      assert.equal(run.code, 0, run.stderr);
      assert.ok(h.broker.workers.has('local-1'));
      assert.equal(h.broker.challengesIssued, challengesBefore + 1);
    } finally {
      await h.close();
    }
  });

  test('a ticket is single use: a second connection with it gets nothing, even before the first one attested', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const ticket = h.tickets.get('local-1') as string;
      const first = await connectRaw(h, 'local-1');
      assert.equal(await tlsProbe(h, [{ type: 'ticket', slot: 'local-1', ticket }]), '', 'the replay is not answered');
      first.send(forgeAttest(h, first, 'local-1').msg);
      assert.deepEqual((await first.closed()).messages.map((m) => m.type), ['hello', 'provisioned']);
      assert.equal(h.broker.challengesIssued, 1);
    } finally {
      await h.close();
    }
  });

  test('an abandoned launch withdraws its ticket: the provisioner started late is not answered and names why', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      h.broker.abandon('local-1');
      const run = await launchWorker(h, 'local-1');
      assert.equal(run.code, 3);
      assert.match(run.stderr, /no-hello: .*closed the connection after the launch ticket.*slot local-1/);
      assert.equal(h.broker.challengesIssued, 0);
      assert.equal(h.broker.strangerRefusals.byReason.get('ticket-refused'), 1);
    } finally {
      await h.close();
    }
  });

  test('a worker that exits before it is ready has its ticket withdrawn by the session; its launch gets the ticket in its environment only', () =>
    withMasterHome(async () => {
      const s = await AttestedSession.open({ runId: `run-${randomBytes(4).toString('hex')}`, warn: () => undefined, record: () => undefined });
      try {
        const d = { id: 'enclaves', connector: 'local', platform: 'sim' } as const;
        const ticket = s.expect(d, 'enclaves-1');
        const spec = s.launchSpec(d, 'enclaves-1', ticket);
        assert.deepEqual(spec.env, { SEALFLOW_TICKET: ticket });
        assert.ok(!spec.program.args('/w').includes(ticket), 'not in the arguments (other users of a host can read those)');
        assert.equal(s.broker.tickets.size, 1);
        const gone = { host: 'h', pid: 1, exited: Promise.resolve({ code: 3, signal: null }), kill: () => undefined, reap: () => undefined, wipe: () => undefined };
        await assert.rejects(s.waitReady(d, 'enclaves-1', gone), /worker enclaves-1 .* exited before it was ready/);
        assert.equal(s.broker.tickets.size, 0, 'withdrawn');
      } finally {
        await s.close();
      }
    }));

  test('bytes after the ticket, before the master answered, are refused without a challenge', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const ticket = h.tickets.get('local-1') as string;
      assert.equal(await tlsProbe(h, [{ type: 'ticket', slot: 'local-1', ticket }, { type: 'attest' }]), '');
      assert.equal(h.broker.challengesIssued, 0);
      assert.equal(h.broker.strangerRefusals.byReason.get('invalid-message'), 1);
    } finally {
      await h.close();
    }
  });

  test('tickets are 256 random bits, compared only against their own slot, spent once', () => {
    const t = new Tickets();
    const a = t.issue('a-1');
    const b = t.issue('b-1');
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(a, 'base64url').length, 32);
    assert.notEqual(a, b);
    assert.equal(t.redeem('a-1', b), false, "another slot's ticket");
    assert.equal(t.redeem('a-1', a.slice(0, 42)), false, 'a truncated ticket');
    assert.equal(t.redeem('a-1', a), true);
    assert.equal(t.redeem('a-1', a), false, 'spent');
    t.withdraw('b-1');
    assert.equal(t.redeem('b-1', b), false, 'withdrawn');
    assert.equal(t.size, 0);
  });

  test('the executor port counts strangers too: 1,000 connections without a valid run certificate add at most one journal line and no exec-connection decision', async () => {
    const h = await setup();
    const es = await ExecServer.start(h.broker);
    try {
      const before = h.decisions.length;
      await flood(1_000, 64, (i) =>
        i % 10 === 0
          ? new Promise<void>((resolve) => {
              // TLS without a client certificate.
              const s = tls.connect({ ...es.address, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
              s.on('error', () => undefined);
              s.on('close', () => resolve());
              s.resume();
            })
          : new Promise<void>((resolve) => {
              // Not TLS.
              const s = net.connect(es.address.port, es.address.host, () => s.end(randomBytes(32)));
              s.on('error', () => undefined);
              s.on('close', () => resolve());
              s.resume();
            }),
      );
      assert.equal(h.broker.strangerRefusals.total, 1_000, JSON.stringify([...h.broker.strangerRefusals.byReason]));
      assert.equal(h.broker.strangerRefusals.byReason.get('no-client-cert'), 100);
      const added = h.decisions.slice(before);
      assert.ok(added.length <= 1, JSON.stringify(added));
      assert.ok(added.every((d) => d.type === 'protocol-refusal' && d.channel === 'execution'));
    } finally {
      await es.close();
      await h.close();
    }
  });
});
