/**
 * Per-run directories on a host: a fresh directory with an opaque random
 * name under the deployment's base directory (default `~/.sealflow-worker`,
 * 0700), holding a marker (`sealflow-run-v1 <token> <created>`: a random
 * token the master chose and the host's clock at creation) and a lock
 * (`flock` on `.lock`) that is held exactly as long as the master's session
 * that created it lives. Files are uploaded into it over the control
 * connection and checked (size and SHA-256) on the host.
 *
 * `sweepDead` removes directories of earlier runs whose master is gone:
 * only directories with a well-formed marker, whose token the caller does
 * not list as live, whose lock nobody holds, and older than a minimum age.
 * Nothing names the run, the workflow or a file of the user.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../../errors.js';
import { collect, oneLine } from './exec.js';
import type { SshHost } from './host.js';
import { parseRemotePath, parseSweep, parseUploadCheck, type SweepLine } from './parse.js';
import { shScript } from './quote.js';

export const MARKER = '.sealflow-run';

/** Resolves the base directory: "$1" absolute, or relative to the remote home. */
const BASE = 'case $1 in /*) b=$1;; *) b=$HOME/$1;; esac';

const MAKE = `set -e; umask 077; ${BASE}
mkdir -p -m 700 -- "$b"; d=$b/$2; mkdir -m 700 -- "$d"; cd -- "$d"
exec 3>.lock; flock -n 3 || exit 75
printf 'sealflow-run-v1 %s %s\\n' "$3" "$(date +%s)" > ${MARKER}
pwd; exec cat >/dev/null`;

const UPLOAD = `set -e; umask 077; cd -- "$1"
cat > "$2.part"; chmod "$3" "$2.part"; mv -f -- "$2.part" "$2"
wc -c < "$2"; sha256sum < "$2"`;

const SWEEP = `${BASE}; shift; min=$1; shift; live=" $* "
[ -d "$b" ] || exit 0; now=$(date +%s)
for d in "$b"/*; do
  n=\${d##*/}
  case $n in *[!0-9a-f]*) continue;; esac
  [ \${#n} -eq 24 ] && [ -d "$d" ] && [ ! -L "$d" ] || continue
  m=$d/${MARKER}
  if [ ! -f "$m" ]; then echo "kept $n no-marker"; continue; fi
  v=; t=; c=; read -r v t c < "$m" || true
  case $c in ''|*[!0-9]*) echo "kept $n bad-marker"; continue;; esac
  [ "$v" = sealflow-run-v1 ] || { echo "kept $n bad-marker"; continue; }
  case $live in *" $t "*) echo "kept $n live"; continue;; esac
  if [ $((now - c)) -lt "$min" ]; then echo "kept $n young"; continue; fi
  flock -n -E 75 "$d/.lock" rm -rf -- "$d"; r=$?
  if [ $r -eq 0 ]; then echo "removed $n"; elif [ $r -eq 75 ]; then echo "kept $n locked"; else echo "kept $n failed"; fi
done`;

export interface Uploaded {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export class RunDir {
  private removed = false;

  constructor(
    private readonly host: SshHost,
    /** The opaque directory name (24 hex digits). */
    readonly name: string,
    /** Absolute path on the host. */
    readonly path: string,
    /** The master's random token in the marker (pass it to `sweepDead` as live while the run lives). */
    readonly token: string,
    private readonly holder: ChildProcess,
  ) {}

  /**
   * Streams a local file into the directory (`umask 077`, written as
   * `<name>.part` then renamed) and checks its size and SHA-256 on the host.
   * The host is untrusted: this catches accidents, not attacks (WCPAC checks
   * what matters).
   */
  async upload(localFile: string, remoteName: string, mode = 0o600): Promise<Uploaded> {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(remoteName) || remoteName.endsWith('.part')) {
      throw new InputError(`upload to ${this.host.label}: remote name ${JSON.stringify(remoteName)} must be 1–100 of [A-Za-z0-9._-], not starting with "." nor ending in ".part"`);
    }
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new InputError(`upload to ${this.host.label}: mode ${mode} is not a file mode (0 to 0o777)`);
    const size = fs.statSync(localFile).size;
    const hash = createHash('sha256');
    const child = this.host.spawnClient(shScript(UPLOAD, [this.path, remoteName, mode.toString(8)]));
    const done = collect(child);
    // The stdin pipe is fed by the pipeline below, not by collect (it would end it at once).
    await pipeline(
      fs.createReadStream(localFile),
      new Transform({ transform: (chunk: Buffer, _e, cb) => (hash.update(chunk), cb(null, chunk)) }),
      child.stdin!,
    ).catch(() => {}); // a failed remote side shows in its exit status below
    const r = await done;
    const where = `${this.path}/${remoteName}`;
    if (r.code !== 0) throw this.host.remoteError(`uploading to ${where} failed (exit ${r.code ?? r.signal}): ${oneLine(r.stderr)}`);
    const got = parseUploadCheck(r.stdout.toString('utf8'));
    const sha256 = hash.digest('hex');
    if (!got || got.size !== size || got.sha256 !== sha256) {
      throw this.host.remoteError(`the upload to ${where} arrived damaged (sent ${size} bytes, SHA-256 ${sha256}; the host reports ${got ? `${got.size} bytes, ${got.sha256}` : 'nothing readable'}): retry, and check the host's disk`);
    }
    return { path: where, size, sha256 };
  }

  /** Removes the directory and releases its lock. */
  async remove(): Promise<void> {
    if (this.removed) return;
    await this.host.runChecked(shScript('rm -rf -- "$1"', [this.path]), `removing ${this.path}`);
    this.removed = true;
    await this.release();
  }

  /** Ends the lock-holding session without removing anything (tests: a master that died). */
  async release(): Promise<void> {
    const exited = new Promise<void>((r) => (this.holder.exitCode !== null || this.holder.signalCode !== null ? r() : this.holder.once('close', () => r())));
    this.holder.stdin?.end();
    await exited;
  }
}

/** Creates a fresh run directory on the host and takes its lock; `token` defaults to 128 random bits. */
export async function makeRunDir(host: SshHost, token: string = randomBytes(16).toString('hex')): Promise<RunDir> {
  if (!/^[0-9a-f]{16,64}$/.test(token)) throw new InputError(`run directory token must be 16–64 lowercase hex digits`);
  const name = randomBytes(12).toString('hex');
  const holder = host.spawnClient(shScript(MAKE, [host.options.baseDir, name, token]));
  holder.stdin!.on('error', () => {});
  const first = await new Promise<{ line: string | null; stderr: string }>((resolve) => {
    let out = '';
    let err = '';
    holder.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
    holder.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ line: out.slice(0, nl + 1), stderr: err });
      else if (out.length > 4096) resolve({ line: null, stderr: err });
    });
    holder.once('close', () => resolve({ line: null, stderr: err }));
  });
  const dirPath = first.line === null ? null : parseRemotePath(first.line);
  if (!dirPath || !dirPath.endsWith(`/${name}`)) {
    holder.kill('SIGKILL');
    throw host.remoteError(`creating a run directory under ${host.options.baseDir} failed: ${oneLine(first.stderr) || 'no path came back'}; make that directory writable there (and check its free space), or set baseDir to a writable directory`);
  }
  return new RunDir(host, name, dirPath, token, holder);
}

export interface SweepOptions {
  /** Tokens of runs of this master that are still live: never removed. */
  readonly live: readonly string[];
  /** Directories younger than this (host clock) are kept (default 60 s). */
  readonly minAgeSeconds?: number;
}

/** Removes run directories of dead runs under the deployment's base directory; what it did, per directory. */
export async function sweepDead(host: SshHost, o: SweepOptions): Promise<SweepLine[]> {
  for (const t of o.live) if (!/^[0-9a-f]{16,64}$/.test(t)) throw new InputError(`sweep on ${host.label}: live token ${JSON.stringify(t)} is not 16–64 lowercase hex digits`);
  const min = o.minAgeSeconds ?? 60;
  if (!Number.isInteger(min) || min < 0) throw new InputError(`sweep on ${host.label}: minAgeSeconds must be a non-negative integer`);
  const out = await host.runChecked(shScript(SWEEP, [host.options.baseDir, String(min), ...o.live]), `sweeping ${host.options.baseDir}`);
  return parseSweep(out.toString('utf8'));
}
