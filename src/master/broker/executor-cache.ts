/**
 * The attested executor's code (esbuild bundle of src/worker/attested/main.ts
 * and the chunk worker) cached in $SEALFLOW_HOME/cache, so a run does not
 * pay for esbuild before its first worker can start. The cache names every
 * file esbuild read, with its size and modification time; if any differs
 * (sealflow was rebuilt or updated) the bundle is built again. The code is
 * sealflow's own public code — nothing secret is cached — and each run still
 * seals it with a fresh key (executor-bundle.ts). Written atomically, 0600,
 * in the master's home (trusted like the master keys beside it).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultMasterDir } from '../../crypto/master-key.js';

interface CacheFile {
  readonly version: 1;
  readonly node: string;
  readonly inputs: readonly (readonly [string, number, number])[];
  readonly sha256: string;
  readonly code: string;
}

const sha = (code: string) => createHash('sha256').update(code).digest('hex');

/**
 * One cache per sealflow installation (`entry`: the executor's entry file): several checkouts sharing one
 * $SEALFLOW_HOME must not run each other's executor code (a cache naming only the other checkout's
 * unchanged files would pass the check below).
 */
function cacheFile(entry: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(defaultMasterDir(env)), 'cache', `executor-bundle-${sha(path.resolve(entry)).slice(0, 16)}.json`);
}

/** The cached code of the executor built from `entry`, if every input file is as it was when it was built. */
export function readExecutorCache(entry: string): string | null {
  try {
    const c = JSON.parse(fs.readFileSync(cacheFile(entry), 'utf8')) as CacheFile;
    if (c.version !== 1 || c.node !== process.version || typeof c.code !== 'string' || sha(c.code) !== c.sha256) return null;
    for (const [file, size, mtimeMs] of c.inputs) {
      const st = fs.statSync(file);
      if (st.size !== size || st.mtimeMs !== mtimeMs) return null;
    }
    return c.code;
  } catch {
    return null;
  }
}

/** Caches `code`, built from `entry` and `inputs` (absolute paths); best effort. */
export function writeExecutorCache(code: string, inputs: readonly string[], entry: string): void {
  try {
    const file = cacheFile(entry);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const entries = [...new Set(inputs)].map((f) => {
      const st = fs.statSync(f);
      return [f, st.size, st.mtimeMs] as const;
    });
    const body: CacheFile = { version: 1, node: process.version, inputs: entries, sha256: sha(code), code };
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    // no cache: the next run builds again
  }
}
