/**
 * The front door of the provisioning port (docs/protocol.md §3a): before a
 * provisioning connection gets anything from the master, its first line
 * must be a ticket message of at most MAX_FRAME_TICKET bytes. This reads
 * that one line with a frame limit of its own and hands the socket on; a
 * peer that sends anything else, more, or nothing is refused, which only
 * adds to the stranger counter. Nothing here issues a challenge or holds
 * more than one small frame per connection.
 */
import type tls from 'node:tls';
import { LineFramer } from '../../protocol/framer.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { parseMessage } from '../../protocol/schema.js';
import { MAX_FRAME_TICKET, validateTicket, type TicketMsg } from '../../protocol/wcpac.js';

export interface TicketGate {
  /** The peer's ticket message (its ticket not yet checked). The socket is paused; the callee resumes it. */
  readonly onTicket: (msg: TicketMsg) => void;
  /** What the peer sent was not one ticket message; the caller counts it and ends the connection. */
  readonly onRefuse: (e: ProtocolError) => void;
}

export function readTicket(socket: tls.TLSSocket, gate: TicketGate): void {
  const framer = new LineFramer(MAX_FRAME_TICKET, 'provisioning port (before a launch ticket)');
  let done = false;
  const onData = (chunk: Buffer | string) => {
    if (done) return;
    try {
      const frames = framer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (frames.length === 0) return;
      done = true;
      socket.off('data', onData);
      socket.pause();
      // The provisioner waits for the hello before it sends again: bytes after the ticket are not a provisioner's.
      if (frames.length > 1 || framer.pending > 0) throw new ProtocolError('invalid-message', 'bytes after the ticket message, before the master answered');
      gate.onTicket(parseMessage(frames[0] as Buffer, validateTicket));
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      done = true;
      socket.off('data', onData);
      gate.onRefuse(e);
    }
  };
  socket.on('data', onData);
}
