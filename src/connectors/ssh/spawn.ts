/**
 * Remote processes over the control master. The remote command is a small
 * POSIX sh wrapper (sshd has already made it a session and process-group
 * leader: OpenSSH `session.c` calls setsid() for every session):
 *
 * 1. it prints `sealflow-pgid <its pid>` as the first line on stdout — the
 *    process group of everything it starts;
 * 2. it starts the program with `env -i` and exactly the given environment,
 *    stdin from /dev/null, in the given directory;
 * 3. a watchdog reads the session's stdin, which the master never writes
 *    nor closes: when the SSH session ends — the local client killed, the
 *    control master gone, the connection lost — sshd closes that pipe and
 *    the watchdog sends the program SIGTERM (a worker stops its steps and
 *    wipes its plaintext, which nobody could do after a SIGKILL), waits for
 *    it at most 8 s, then kills the whole process group (`kill -KILL 0`);
 * 4. it exits with the program's status (128+n for signal n).
 *
 * `kill()` kills the remote process group over the control master
 * (`kill -KILL -- -<pgid>`), then the local client. The program's stdin is
 * /dev/null: the session's stdin is the lifeline.
 */
import os from 'node:os';
import { PassThrough, type Readable } from 'node:stream';
import { InputError } from '../../errors.js';
import type { SshHost } from './host.js';
import { parsePgidLine } from './parse.js';
import { checkEnvName, shScript } from './quote.js';

export interface RemoteSpawnOptions {
  /** The program's whole environment (nothing else is inherited). Never put a secret here: the host sees it. */
  readonly env?: Readonly<Record<string, string>>;
  /** Absolute working directory on the host (default: the remote home). */
  readonly cwd?: string;
}

export interface RemoteExit {
  /** The program's exit code, or null when it was killed by a signal or the session was lost. */
  readonly code: number | null;
  readonly signal: string | null;
  /** The SSH session ended before the program reported its status (client killed, connection lost). */
  readonly sessionLost: boolean;
}

export interface RemoteProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The remote process group (resolves once the wrapper has started; rejects if it never did). */
  readonly pgid: Promise<number>;
  /** PID of the local ssh client. */
  readonly localPid: number;
  readonly exited: Promise<RemoteExit>;
  /** Kills the remote process group, then the local client; resolves when the client is gone. */
  kill(): Promise<void>;
}

const WRAPPER = `echo "sealflow-pgid $$"
if [ -n "$1" ]; then cd -- "$1" || exit 125; fi; shift
exec 3<&0
env -i -- "$@" </dev/null 3<&- &
c=$!
( trap '' TERM; cat <&3; kill -TERM "$c"; i=0; while kill -0 "$c" && [ $i -lt 80 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL 0 ) >/dev/null 2>&1 &
exec 3<&-
wait "$c"`;

const SIGNALS = new Map(Object.entries(os.constants.signals).map(([k, v]) => [v as number, k]));

export function spawnRemote(host: SshHost, argv: readonly string[], o: RemoteSpawnOptions = {}): RemoteProcess {
  if (argv.length === 0 || argv[0] === '') throw new InputError(`spawn on ${host.label}: argv needs a program`);
  if (argv[0]!.includes('=')) throw new InputError(`spawn on ${host.label}: program name ${JSON.stringify(argv[0])} contains "=" (env would read it as a variable)`);
  if (o.cwd !== undefined && !o.cwd.startsWith('/')) throw new InputError(`spawn on ${host.label}: cwd ${JSON.stringify(o.cwd)} must be absolute`);
  const env = Object.entries(o.env ?? {}).map(([k, v]) => (checkEnvName(k), `${k}=${v}`));
  const child = host.spawnClient(shScript(WRAPPER, [o.cwd ?? '', ...env, ...argv]));
  // The lifeline: stdin stays open and unwritten as long as the client runs.
  child.stdin!.on('error', () => {});

  const stdout = new PassThrough();
  let head = '';
  let pgidKnown: number | null = null;
  let resolvePgid!: (n: number) => void;
  let rejectPgid!: (e: Error) => void;
  const pgid = new Promise<number>((res, rej) => ((resolvePgid = res), (rejectPgid = rej)));
  pgid.catch(() => {});
  // Backpressure: a slow reader of stdout pauses the ssh client, and so the remote writer.
  const forward = (b: Buffer) => {
    if (!stdout.write(b)) {
      child.stdout!.pause();
      stdout.once('drain', () => child.stdout!.resume());
    }
  };
  const onData = (b: Buffer) => {
    if (pgidKnown !== null) return forward(b);
    head += b.toString('latin1');
    const nl = head.indexOf('\n');
    if (nl < 0) {
      if (head.length > 64) {
        rejectPgid(host.remoteError(`a remote process did not report its process group`));
        child.kill('SIGKILL');
      }
      return;
    }
    const n = parsePgidLine(head.slice(0, nl));
    if (n === null) {
      rejectPgid(host.remoteError(`a remote process reported ${JSON.stringify(head.slice(0, nl).slice(0, 40))} instead of its process group`));
      child.kill('SIGKILL');
      return;
    }
    pgidKnown = n;
    resolvePgid(n);
    const rest = Buffer.from(head.slice(nl + 1), 'latin1');
    if (rest.length) forward(rest);
  };
  child.stdout!.on('data', onData);
  child.stdout!.once('end', () => stdout.end());

  let killedByUs = false;
  const exited = new Promise<RemoteExit>((resolve) => {
    child.once('close', (code, signal) => {
      if (pgidKnown === null) rejectPgid(host.remoteError(`a remote process ended before it started (ssh exit ${code ?? signal})`));
      if (killedByUs) return resolve({ code: null, signal: 'SIGKILL', sessionLost: false });
      if (signal !== null || code === null || code === 255) return resolve({ code: null, signal: null, sessionLost: true });
      if (code > 128 && SIGNALS.has(code - 128)) return resolve({ code: null, signal: SIGNALS.get(code - 128)!, sessionLost: false });
      resolve({ code, signal: null, sessionLost: false });
    });
  });

  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killedByUs = true;
    const g = await Promise.race([pgid.catch(() => null), exited.then(() => null)]);
    if (g !== null) {
      // Over the control master; if the host is gone this fails, and its watchdog or its death ends the group.
      await host.run(`kill -KILL -- -${g}`).catch(() => {});
    }
    child.kill('SIGKILL');
    await exited;
  };

  return { stdout, stderr: child.stderr!, pgid, localPid: child.pid!, exited, kill };
}
