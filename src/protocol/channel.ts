/**
 * A message channel between master and worker, independent of transport.
 * The local connector uses Node's IPC pipe; remote connectors (ssh, and the
 * mTLS sessions of the WCPAC protocol) carry the same messages as
 * newline-delimited JSON over a byte stream (`streamChannel`).
 */
import type { Readable, Writable } from 'node:stream';
import { isMessage } from './dispatch.js';

export interface Channel<Out, In> {
  send(msg: Out): void;
  /** Every received message that is an object with a string `type`; anything else closes the channel. */
  onMessage(handler: (msg: In) => void): void;
  /** The peer went away or the channel was closed; called once. */
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

/** The subset of ChildProcess / process that Node IPC needs. */
export interface IpcEndpoint {
  send?(msg: unknown): boolean;
  on(event: 'message', h: (msg: unknown) => void): unknown;
  on(event: 'disconnect', h: () => void): unknown;
  disconnect?(): void;
  readonly connected?: boolean;
}

export function ipcChannel<Out, In>(ep: IpcEndpoint): Channel<Out, In> {
  const closeHandlers: ((r: string) => void)[] = [];
  let closed = false;
  const fireClose = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const h of closeHandlers) h(reason);
  };
  ep.on('disconnect', () => fireClose('peer disconnected'));
  return {
    send(msg) {
      if (closed || !ep.send) return;
      ep.send(msg);
    },
    onMessage(handler) {
      ep.on('message', (m) => {
        if (isMessage(m)) handler(m as In);
        else fireClose(`malformed message: ${JSON.stringify(m)?.slice(0, 80)}`);
      });
    },
    onClose(handler) {
      closeHandlers.push(handler);
    },
    close() {
      if (ep.connected && ep.disconnect) ep.disconnect();
      fireClose('closed');
    },
  };
}

/** Newline-delimited JSON over a byte stream (one message per line). */
export function streamChannel<Out, In>(input: Readable, output: Writable): Channel<Out, In> {
  const messageHandlers: ((m: In) => void)[] = [];
  const closeHandlers: ((r: string) => void)[] = [];
  let closed = false;
  let pending = '';
  const fireClose = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const h of closeHandlers) h(reason);
  };
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        fireClose(`malformed message line: ${line.slice(0, 80)}`);
        return;
      }
      if (!isMessage(m)) {
        fireClose(`malformed message: ${line.slice(0, 80)}`);
        return;
      }
      for (const h of messageHandlers) h(m as In);
    }
  });
  input.on('end', () => fireClose('peer closed the stream'));
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
