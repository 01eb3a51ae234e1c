/**
 * The provisioning port's front door (docs/protocol.md §3a): the bytes a
 * peer without a launch ticket sends go through the ticket gate (its own
 * 256-byte frame limit, the ticket schema) and the ticket check. Either a
 * ticket message comes out (and is checked against a live ticket) or the
 * peer is refused with a ProtocolError; bytes without a newline are still
 * waiting when the stream ends.
 */
import { PassThrough } from 'node:stream';
import type tls from 'node:tls';
import { readTicket } from '../../../src/master/broker/ticket-gate.js';
import { Tickets } from '../../../src/master/broker/tickets.js';
import { ProtocolError } from '../../../src/protocol/protocol-error.js';
import type { FuzzTarget } from '../target.js';

const line = (m: unknown) => new TextEncoder().encode(JSON.stringify(m) + '\n');

export const targets: FuzzTarget[] = [
  {
    name: 'launch-ticket',
    seeds: () => [
      line({ type: 'ticket', slot: 'local-1', ticket: 'A'.repeat(43) }),
      line({ type: 'ticket', slot: 'sim-12', ticket: 'abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE' }),
      line({ type: 'attest', slot: 'local-1', challenge: 'AAAA', evidence: '', x25519: '', identity: '' }),
      new TextEncoder().encode('{"type":"ticket","slot":"local-1","ticket":"' + 'B'.repeat(43) + '"}\n{"type":"attest"}\n'),
    ],
    isOwnError: (e) => e instanceof ProtocolError,
    run(input) {
      const tickets = new Tickets();
      tickets.issue('local-1');
      const socket = new PassThrough();
      return new Promise<boolean | null>((resolve, reject) => {
        readTicket(socket as unknown as tls.TLSSocket, {
          onTicket: (m) => resolve(tickets.redeem(m.slot, m.ticket)),
          onRefuse: reject,
        });
        socket.on('end', () => resolve(null));
        socket.end(Buffer.from(input));
        socket.resume();
      });
    },
  },
];
