/**
 * Content hashes that decide, on `--resume`, whether a step instance can be
 * reused: the hash covers the step's code (the bundled task module and export,
 * or the command's argv templates and settings) and the contents of its
 * inputs (for files and directories: SHA-256 of their bytes, never paths).
 *
 * This is the one place that hashes for resume. Encrypted runs pass their
 * run hash key (src/master/run-secrets.ts, docs/protocol.md §13.2):
 * then every hash is HMAC-SHA-256 under it, so the journal never holds a
 * plain hash of guessable content (DESIGN.md, step 6). Plain runs keep plain
 * SHA-256.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PortValue, Step } from '../workflow/model.js';
import { canonicalJson } from '../master/receipt/canonical.js';
import { digestFileSync } from '../crypto/digest-file.js';
import { inPlaceRef } from '../workflow/in-place.js';

export interface InstanceHashInput {
  /** What runs: see `codeIdentity`. */
  readonly code: string;
  /** The instance's resolved input values. */
  readonly inputs: Readonly<Record<string, PortValue>>;
}

const AGE_MAGIC = 'age-encryption.org/v1\n';

/** Whether `p` is a binary age file (its first bytes), so its SHA-256 is of ciphertext. */
function isAgeFile(p: string): boolean {
  try {
    const fd = fs.openSync(p, 'r');
    try {
      const b = Buffer.alloc(AGE_MAGIC.length);
      return fs.readSync(fd, b, 0, b.length, 0) === b.length && b.toString('latin1') === AGE_MAGIC;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}


export class ContentHasher {
  /** Digest of file contents by absolute path, computed once per run. */
  private readonly fileCache = new Map<string, string>();

  /** @param key for encrypted runs: the run's hash key (then HMAC-SHA-256). */
  constructor(private readonly key?: Buffer) {}

  private h(): crypto.Hash | crypto.Hmac {
    return this.key ? crypto.createHmac('sha256', this.key) : crypto.createHash('sha256');
  }

  /** The hash of one step instance: code and the contents of every input. */
  instance(x: InstanceHashInput): string {
    const h = this.h();
    h.update(`code\0${x.code}\0`);
    for (const id of Object.keys(x.inputs).sort()) {
      h.update(`in\0${id}\0${this.valueDigest(x.inputs[id] ?? null)}\0`);
    }
    return h.digest('hex');
  }

  /**
   * Encrypted runs: HMAC-SHA-256 under the run hash key over what an instance
   * produced (its key, hash and outputs as journalled), so that a resumed
   * master reuses only outputs a master holding the key recorded
   * (docs/protocol.md §13.2). Null for plain runs, or outputs that are not JSON.
   */
  outputsMac(instance: string, hash: string, outputs: unknown, keyDigests?: unknown): string | null {
    if (!this.key) return null;
    try {
      // The file-key digests (§16.3) are covered too, when the record has them (journals before them: the old form).
      const keys = keyDigests === undefined ? '' : `\0keys\0${canonicalJson(keyDigests)}`;
      return crypto.createHmac('sha256', this.key).update(`outputs\0${instance}\0${hash}\0${canonicalJson(outputs)}${keys}`).digest('hex');
    } catch {
      return null;
    }
  }

  /** A digest of a port value in which files and directories stand for their contents. */
  valueDigest(v: PortValue): string {
    return JSON.stringify(this.canonical(v));
  }

  private canonical(v: unknown): unknown {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.canonical(x));
    const o = v as Record<string, unknown>;
    if (o['class'] === 'File' && typeof o['path'] === 'string') {
      // A ciphertext's recorded SHA-256 reveals nothing guessable: keyed runs use it too (then HMAC'd in `instance`), instead of reading the file again.
      // A file on a deployment's hosts (data in place) is never read here: its manifest's SHA-256 stands for it.
      return { file: typeof o['sha256'] === 'string' && (!this.key || inPlaceRef(o['path']) !== null || isAgeFile(o['path'])) ? o['sha256'] : this.file(o['path']) };
    }
    if (o['class'] === 'Directory' && typeof o['path'] === 'string') {
      // A sealed directory (docs/protocol.md §10.1) is one age file: hashed like a file.
      if (typeof o['sha256'] === 'string') return { dir: this.key && !isAgeFile(o['path']) ? this.file(o['path']) : o['sha256'] };
      return { dir: this.directory(o['path']) };
    }
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, this.canonical(o[k])]));
  }

  /** Digest of a file's bytes (cached by path for this run). */
  file(p: string): string {
    const cached = this.fileCache.get(p);
    if (cached) return cached;
    const digest = this.digestFile(p);
    this.fileCache.set(p, digest);
    return digest;
  }

  /**
   * Digests the File inputs of a run before the scheduler needs them, reading
   * asynchronously: `file` hashes synchronously, which on a large owner input
   * (1 GB, a loaded machine) held the master's event loop for seconds — long
   * enough for its workers' watchdog (docs/protocol.md §11.3) to give up on it.
   */
  async warmFiles(values: unknown, known?: (path: string) => Promise<string | undefined>): Promise<void> {
    const paths = new Set<string>();
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return;
      if (Array.isArray(v)) return v.forEach(walk);
      const o = v as Record<string, unknown>;
      if (o['class'] === 'File' && typeof o['path'] === 'string') {
        if (typeof o['sha256'] !== 'string') paths.add(o['path']);
        return;
      }
      for (const x of Object.values(o)) walk(x);
    };
    walk(values);
    // `known`: digests another pass already computed under this hasher's key (an encrypted run's admission, docs/protocol.md §10.6).
    const given = known ? await Promise.all([...paths].map((p) => known(p).catch(() => undefined))) : [];
    [...paths].forEach((p, i) => {
      const d = given[i];
      if (d !== undefined && !this.fileCache.has(p)) this.fileCache.set(p, d);
    });
    for (const p of paths) {
      if (this.fileCache.has(p)) continue;
      const h = this.h();
      const fh = await fs.promises.open(p, 'r').catch(() => null);
      if (!fh) continue; // `file` reports it when the step needs it
      try {
        const buf = Buffer.allocUnsafe(4 << 20);
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          h.update(buf.subarray(0, bytesRead));
        }
      } finally {
        await fh.close();
      }
      this.fileCache.set(p, h.digest('hex'));
    }
  }

  private digestFile(p: string): string {
    return digestFileSync(p, this.key);
  }

  /** Digest of a directory tree: sorted relative names, kinds and file digests. */
  directory(root: string): string {
    const h = this.h();
    const walk = (rel: string): void => {
      const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        const r = path.join(rel, e.name);
        if (e.isDirectory()) {
          h.update(`d\0${r}\0`);
          walk(r);
        } else {
          h.update(`f\0${r}\0${this.digestFile(path.join(root, r))}\0`);
        }
      }
    };
    walk('');
    return h.digest('hex');
  }
}

/** SHA-256 of a file, plain (what FileValue.sha256 carries for unencrypted runs). */
export function sha256File(p: string): string {
  return digestFileSync(p);
}

/**
 * What identifies a step's code. A task: the digest of the run's task bundle
 * and the export; a command: its argv templates and everything else that
 * shapes the process (shell, stdout, env, output globs, threads).
 */
export function codeIdentity(step: Step, bundleDigest: string | null): string {
  const r = step.run;
  if (r.kind === 'task') return JSON.stringify({ task: r.export, module: path.basename(r.module), bundle: bundleDigest });
  if (r.kind === 'cwl') return JSON.stringify({ cwl: r.process });
  return JSON.stringify({
    argv: r.argv,
    shell: r.shell,
    stdout: r.stdout ?? null,
    env: r.env,
    outputs: r.outputs,
    threads: step.requirements.threads,
    memory: step.requirements.memory ?? null,
  });
}
