/**
 * A run's directory on the storage the master and the nodes share
 * (`workDir`): `<workDir>/sf-<16 hex>` (0700), made fresh per run and
 * deployment and removed at the end. It holds the provisioner, its launch
 * configuration and the sealed executor bundle (fixed names that say nothing
 * of the workflow), one subdirectory per worker slot (opaque), the jobs'
 * `-o`/`-e` files, and ciphertexts copied in for the workers and out of them
 * (the `Stager` of src/connectors/connector.ts, over the shared file system:
 * the master's own state directory need not be visible on the nodes).
 *
 * An `owner` file says which master made it (host, pid): a later run on the
 * same master removes the directories of masters that are gone.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Stager } from '../connector.js';

const PREFIX = 'sf-';
const OWNER = 'owner';

export interface SharedRunDir {
  readonly path: string;
  /** Copies `file` into the directory as `name` (0600). */
  copyIn(file: string, name: string): void;
  /** A fresh slot directory (0700). */
  slot(): string;
  readonly stage: Stager;
  /** The directory of this run's workers under the run scratch directory (the stager's `scratch`). */
  readonly scratchId: string;
  remove(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes run directories under `workDir` that this machine's masters made and that are gone (not `live`). */
export function sweepDead(workDir: string, live: ReadonlySet<string>): void {
  let names: string[];
  try {
    names = fs.readdirSync(workDir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(PREFIX) || live.has(path.join(workDir, n))) continue;
    try {
      const o = JSON.parse(fs.readFileSync(path.join(workDir, n, OWNER), 'utf8')) as { host?: unknown; pid?: unknown };
      if (o.host === os.hostname() && typeof o.pid === 'number' && !alive(o.pid)) fs.rmSync(path.join(workDir, n), { recursive: true, force: true });
    } catch {
      /* not ours, or already gone */
    }
  }
}

export function makeSharedRunDir(workDir: string): SharedRunDir {
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const dir = path.join(workDir, `${PREFIX}${randomBytes(8).toString('hex')}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.writeFileSync(path.join(dir, OWNER), JSON.stringify({ host: os.hostname(), pid: process.pid }), { mode: 0o600 });
  const scratchId = randomBytes(8).toString('hex');
  const fresh = () => path.join(dir, randomBytes(12).toString('hex'));
  const puts = new Map<string, string>();
  const copyTree = (from: string, to: string) => {
    if (!fs.existsSync(from)) return;
    for (const e of fs.readdirSync(from, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const rel = path.relative(from, path.join(e.parentPath, e.name));
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      fs.mkdirSync(path.dirname(path.join(to, rel)), { recursive: true, mode: 0o700 });
      fs.copyFileSync(path.join(from, rel), path.join(to, rel));
    }
  };
  const stage: Stager = {
    async put(localFile) {
      let p = puts.get(localFile);
      if (p === undefined) {
        p = fresh();
        await fs.promises.copyFile(localFile, p);
        await fs.promises.chmod(p, 0o600);
        puts.set(localFile, p);
      }
      return p;
    },
    fresh,
    // The slot's workers put their pid below this: a directory of this run and deployment, opaque (no step name).
    scratch: (assigned) => path.posix.join(path.posix.dirname(assigned), scratchId, randomBytes(8).toString('hex')),
    async getTree(remoteDir, localDir) {
      copyTree(remoteDir, localDir);
    },
    async getFile(remoteFile, localFile) {
      if (!fs.existsSync(remoteFile)) return;
      fs.mkdirSync(path.dirname(localFile), { recursive: true, mode: 0o700 });
      fs.copyFileSync(remoteFile, localFile);
    },
    discard(remote) {
      for (const r of remote) if (r.startsWith(`${dir}/`)) fs.rmSync(r, { recursive: true, force: true });
    },
  };
  return {
    path: dir,
    copyIn(file, name) {
      const to = path.join(dir, name);
      fs.copyFileSync(file, to);
      fs.chmodSync(to, 0o600);
    },
    slot() {
      const s = path.join(dir, randomBytes(6).toString('hex'));
      fs.mkdirSync(s, { mode: 0o700 });
      return s;
    },
    stage,
    scratchId,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The scratch directory the stager's `scratch` made for a worker (`<run>/<id>/<pid>` from the session's `<run>/<pid>`). */
export function sharedScratchDir(workerDir: string, scratchId: string): string {
  return path.posix.join(path.posix.dirname(workerDir), scratchId, path.posix.basename(workerDir));
}
