/**
 * A message channel between master and worker, independent of transport.
 * The local connector uses Node's IPC pipe; remote connectors (ssh, and the
 * mTLS sessions of the WCPAC protocol) carry the same messages as
 * newline-delimited JSON over a byte stream (`streamChannel`).
 *
 * Both check every received message against the channel's validator before
 * a handler sees it (docs/protocol.md "Framing and limits"); a stream
 * channel also bounds each frame. Whatever a peer sends that does not fit
 * closes that one channel with a ProtocolError.
 */
import type { Readable, Writable } from 'node:stream';
import { LineFramer } from './framer.js';
import { ProtocolError } from './protocol-error.js';
import { checkMessage, parseMessage, type Validator } from './schema.js';

export interface Channel<Out, In> {
  send(msg: Out): void;
  /** Every received message that fits the channel's validator; anything else closes the channel. */
  onMessage(handler: (msg: In) => void): void;
  /** The peer went away or the channel was closed; called once. */
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

export interface ChannelOptions<In> {
  /** The validator of the union this side receives (`validateWorkerToMaster`, …). */
  readonly validate: Validator<In>;
  /** Told of the protocol error that closes the channel, before it closes (journal, counter or log). */
  readonly onRefuse?: (err: ProtocolError) => void;
}

export interface StreamChannelOptions<In> extends ChannelOptions<In> {
  /** The largest frame in bytes, newline excluded (docs/protocol.md "Framing and limits"). */
  readonly maxFrame: number;
  /** For messages: `provisioning port`, `execution channel`. */
  readonly name?: string;
}

/** The subset of ChildProcess / process that Node IPC needs. */
export interface IpcEndpoint {
  send?(msg: unknown): boolean;
  on(event: 'message', h: (msg: unknown) => void): unknown;
  on(event: 'disconnect', h: () => void): unknown;
  disconnect?(): void;
  readonly connected?: boolean;
}

/** The close reason of a channel closed for a protocol error. */
export const protocolCloseReason = (e: ProtocolError): string => `protocol error (${e.reason}): ${e.message}`;

export function ipcChannel<Out, In>(ep: IpcEndpoint, o: ChannelOptions<In>): Channel<Out, In> {
  const closeHandlers: ((r: string) => void)[] = [];
  let closed = false;
  const fireClose = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const h of closeHandlers) h(reason);
  };
  const close = () => {
    if (ep.connected && ep.disconnect) ep.disconnect();
    fireClose('closed');
  };
  ep.on('disconnect', () => fireClose('peer disconnected'));
  return {
    send(msg) {
      if (closed || !ep.send) return;
      ep.send(msg);
    },
    onMessage(handler) {
      ep.on('message', (m) => {
        if (closed) return;
        let msg: In;
        try {
          msg = checkMessage(m, o.validate);
        } catch (e) {
          const err = e as ProtocolError;
          o.onRefuse?.(err);
          fireClose(protocolCloseReason(err));
          if (ep.connected && ep.disconnect) ep.disconnect();
          return;
        }
        handler(msg);
      });
    },
    onClose(handler) {
      closeHandlers.push(handler);
    },
    close,
  };
}

/** Newline-delimited JSON over a byte stream (one message per line, at most `maxFrame` bytes). */
export function streamChannel<Out, In>(input: Readable, output: Writable, o: StreamChannelOptions<In>): Channel<Out, In> {
  const messageHandlers: ((m: In) => void)[] = [];
  const closeHandlers: ((r: string) => void)[] = [];
  const framer = new LineFramer(o.maxFrame, o.name ?? 'channel');
  let closed = false;
  const fireClose = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const h of closeHandlers) h(reason);
  };
  // A protocol error ends the connection at once: nothing more is read from this peer.
  const refuse = (err: ProtocolError) => {
    o.onRefuse?.(err);
    fireClose(protocolCloseReason(err));
    input.destroy();
    if ((output as unknown) !== input) output.destroy();
  };
  input.on('data', (chunk: Buffer | string) => {
    if (closed) return;
    try {
      for (const frame of framer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
        const m = parseMessage(frame, o.validate);
        for (const h of messageHandlers) h(m);
        if (closed) return;
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      refuse(e);
    }
  });
  input.on('end', () => fireClose('peer closed the stream'));
  input.on('close', () => fireClose('the stream closed'));
  input.on('error', (e) => fireClose(`stream error: ${e.message}`));
  return {
    send(msg) {
      if (!closed) output.write(JSON.stringify(msg) + '\n');
    },
    onMessage(h) {
      messageHandlers.push(h);
    },
    onClose(h) {
      closeHandlers.push(h);
    },
    close() {
      output.end();
      fireClose('closed');
    },
  };
}
