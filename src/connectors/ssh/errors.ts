/**
 * What went wrong on an SSH connection, as one line naming the deployment
 * and the host and saying what to do. OpenSSH reports failures only as text
 * on stderr with exit status 255; `classifySshFailure` reads that text.
 */
import { OperationError } from '../../errors.js';

/**
 * - `unreachable`: no TCP connection (timeout, refused, no route, name unknown).
 * - `auth`: the host refused every key offered.
 * - `unknown-host-key`: the host's key is not in known_hosts (and accepting new keys is off).
 * - `changed-host-key`: known_hosts holds a different key for the host — possibly an attack.
 * - `node`: the remote `node` is missing or too old.
 * - `remote`: a remote command failed (integrity check, mkdir, kill, …).
 * - `ssh`: any other failure of the ssh client.
 */
export type SshFailure = 'unreachable' | 'auth' | 'unknown-host-key' | 'changed-host-key' | 'node' | 'remote' | 'ssh';

export class SshError extends OperationError {
  constructor(
    readonly kind: SshFailure,
    readonly deployment: string,
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

/** Who we tried to reach, for messages. */
export interface SshTarget {
  readonly deployment: string;
  /** `alias (address:port)` or `address:port`. */
  readonly host: string;
  readonly user: string;
  /** The known_hosts file that was consulted (for messages). */
  readonly knownHosts: string;
  readonly connectTimeout: number;
}

/** The error for an ssh client that exited 255, from its stderr. */
export function classifySshFailure(t: SshTarget, stderr: string): SshError {
  const text = stderr.replace(/\r/g, '');
  const at = `deployment "${t.deployment}": host ${t.host}`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/.test(text)) {
    const offending = /Offending \S+ key in (\S+?):(\d+)/.exec(text);
    const where = offending ? `${offending[1]}:${offending[2]}` : t.knownHosts;
    const fp = /(SHA256:[A-Za-z0-9+/=]+)/.exec(text)?.[1];
    return new SshError(
      'changed-host-key',
      t.deployment,
      t.host,
      `${at}: its host key has CHANGED from the one recorded in ${where}${fp ? ` (it now presents ${fp})` : ''} — someone may be intercepting the connection, or the host was reinstalled; nothing was sent. Confirm the new key with the host's administrator before replacing the old line (ssh-keygen -R <host> -f <known_hosts>)`,
    );
  }
  if (/No \S+ host key is known for|Host key verification failed/.test(text)) {
    return new SshError(
      'unknown-host-key',
      t.deployment,
      t.host,
      `${at}: its host key is not in ${t.knownHosts}; nothing was sent. Get the key's fingerprint from the host's administrator and add the host to that file, or set acceptNewHostKey: true to accept it on first use (its fingerprint is journalled)`,
    );
  }
  if (/Permission denied|Too many authentication failures|no mutual signature|Authentication failed/i.test(text)) {
    return new SshError(
      'auth',
      t.deployment,
      t.host,
      `${at}: refused authentication for user ${t.user} (public key); check identityFile or the SSH agent, and that the public key is in that user's authorized_keys on the host (passwords are never used)`,
    );
  }
  const net = /(Connection timed out|Connection refused|No route to host|Network is unreachable|Could not resolve hostname[^\n]*|Name or service not known|Temporary failure in name resolution|Connection closed by remote host|Connection reset by peer|Broken pipe|Operation timed out|timeout)/i.exec(text);
  if (net || text.trim() === '') {
    return new SshError(
      'unreachable',
      t.deployment,
      t.host,
      `${at} is unreachable (${net ? net[1]!.trim() : 'the connection ended without a word'}; ConnectTimeout ${t.connectTimeout}s): check the address, port and network, and that sshd runs there`,
    );
  }
  const last = text.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  return new SshError('ssh', t.deployment, t.host, `${at}: ssh failed: ${last.slice(0, 300)}`);
}
