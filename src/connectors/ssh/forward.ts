/**
 * Remote-to-local forwards on the control master (`ssh -O forward -R …`):
 * a socket or a loopback port on the host whose connections reach a socket
 * or a port on the master's side. This is how a remote provisioner reaches
 * (a) the master's broker port when the host cannot dial it
 * (`reach: ssh-tunnel`) and (b) the sim evidence socket, which stays on the
 * master. A remote port is always bound to 127.0.0.1 on the host (never a
 * wildcard), and a remote socket is created by sshd with mode 0600
 * (OpenSSH's StreamLocalBindMask 0177). Forwards end with the master.
 */
import { InputError } from '../../errors.js';
import type { SshHost } from './host.js';
import { shScript } from './quote.js';

/** The far end, on the host: a Unix socket path, or a loopback TCP port (0: the host picks one). */
export type RemoteEnd = { readonly socket: string } | { readonly port: number };
/** The near end, on the master's side: a Unix socket path, or host:port. */
export type LocalEnd = { readonly socket: string } | { readonly host: string; readonly port: number };

export interface Forward {
  /** Where a process on the host connects: the socket path, or `127.0.0.1:<port>`. */
  readonly remote: string;
  /** The bound port on the host (TCP forwards). */
  readonly port: number | undefined;
  /** Removes the forward from the master. */
  cancel(): Promise<void>;
}

function socketPath(p: string, where: string): string {
  if (!p.startsWith('/') || /[:\s\0-\x1f]/.test(p) || p.length > 100) {
    throw new InputError(`${where} socket ${JSON.stringify(p)} must be an absolute path of at most 100 characters without ":" or spaces`);
  }
  return p;
}

function port(n: number, min: number, where: string): number {
  if (!Number.isInteger(n) || n < min || n > 65535) throw new InputError(`${where} port ${n} must be an integer from ${min} to 65535`);
  return n;
}

function localSpec(l: LocalEnd): string {
  if ('socket' in l) return socketPath(l.socket, 'local');
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.test(l.host)) throw new InputError(`local host ${JSON.stringify(l.host)} must be a host name, an IPv4 address or a [bracketed] IPv6 address`);
  return `${l.host}:${port(l.port, 1, 'local')}`;
}

export async function forwardRemoteToLocal(host: SshHost, remote: RemoteEnd, local: LocalEnd): Promise<Forward> {
  const to = localSpec(local);
  if ('socket' in remote) {
    const p = socketPath(remote.socket, 'remote');
    // sshd does not replace an existing socket (StreamLocalBindUnlink is a server setting): remove a stale one first.
    await host.runChecked(shScript('rm -f -- "$1"', [p]), `removing a stale socket at ${p}`);
    const spec = `${p}:${to}`;
    await host.control('forward', ['-R', spec]);
    return { remote: p, port: undefined, cancel: () => host.control('cancel', ['-R', spec]).then(() => {}) };
  }
  const want = port(remote.port, 0, 'remote');
  const out = await host.control('forward', ['-R', `127.0.0.1:${want}:${to}`]);
  const bound = want === 0 ? Number(out.trim()) : want;
  if (!Number.isInteger(bound) || bound < 1 || bound > 65535) throw host.remoteError(`the forward to ${to} got no port from the host (${JSON.stringify(out.trim().slice(0, 40))})`);
  // Cancelled by the spec it was requested with: OpenSSH finds a dynamic forward by its requested port 0 and
  // cancels the allocated one (two dynamic forwards to the same local end are told apart by order only).
  const spec = `127.0.0.1:${want}:${to}`;
  return { remote: `127.0.0.1:${bound}`, port: bound, cancel: () => host.control('cancel', ['-R', spec]).then(() => {}) };
}
