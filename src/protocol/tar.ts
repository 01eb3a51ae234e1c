/**
 * Directories as tar streams (docs/protocol.md §10.1): `packDirectory`
 * writes a directory as a deterministic tar stream — entries in byte order
 * of their names, mtime 0, uid/gid 0, mode 0755/0644 (the owner's execute
 * bit decides) — of regular files and subdirectories only; a symlink, device,
 * FIFO or socket is refused with its path. `unpackInto` extracts such a
 * stream into a directory that must not exist yet, refusing absolute names,
 * `..` components, links and every other entry type. The tar format itself
 * is `tar-stream`'s (ustar, with pax headers for long names).
 */
import fs from 'node:fs';
import path from 'node:path';
import tar from 'tar-stream';

export class TarError extends Error {
  override readonly name = 'TarError';
}

interface TreeEntry {
  /** Relative name with `/` separators. */
  readonly name: string;
  readonly abs: string;
  readonly dir: boolean;
  readonly size: number;
  readonly mode: number;
}

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Every entry under `root`, parents before children, siblings in byte order; throws TarError on anything but files and directories. */
function listTree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (rel: string): void => {
    const names = fs.readdirSync(path.join(root, rel)).sort(byBytes);
    for (const n of names) {
      const r = rel === '' ? n : `${rel}/${n}`;
      const abs = path.join(root, r);
      const st = fs.lstatSync(abs);
      if (st.isDirectory()) {
        out.push({ name: r, abs, dir: true, size: 0, mode: 0o755 });
        walk(r);
      } else if (st.isFile()) {
        out.push({ name: r, abs, dir: false, size: st.size, mode: st.mode & 0o100 ? 0o755 : 0o644 });
      } else {
        const kind = st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
        throw new TarError(`${abs} is ${kind}; a directory value in an encrypted run may hold only regular files and subdirectories (copy the link's target instead)`);
      }
    }
  };
  walk('');
  return out;
}

const EPOCH = new Date(0);

/** Ends a writable (node's or streamx's: `end()` without arguments; a callback would be written as data by streamx). */
function endOf(w: unknown): void {
  (w as { end(): void }).end();
}

/** Waits until `w` accepts more, or is gone; false if it is gone. */
function drained(w: NodeJS.EventEmitter & { destroyed?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      w.off('drain', onDrain);
      w.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    w.once('drain', onDrain);
    w.once('close', onClose);
  });
}

/** The tar stream of `root` (see the file comment). Throws TarError at once if the tree holds anything but files and directories. */
export function packDirectory(root: string): AsyncIterable<Uint8Array> {
  if (!fs.statSync(root).isDirectory()) throw new TarError(`${root} is not a directory`);
  const entries = listTree(root);
  const pack = tar.pack();
  void (async () => {
    try {
      for (const e of entries) {
        const header = { name: e.dir ? `${e.name}/` : e.name, mode: e.mode, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
        if (e.dir) {
          await new Promise<void>((resolve, reject) => pack.entry({ ...header, type: 'directory' }, (err) => (err ? reject(err) : resolve())));
          continue;
        }
        await new Promise<void>((resolve, reject) => {
          const w = pack.entry({ ...header, type: 'file', size: e.size }, (err) => (err ? reject(err) : resolve()));
          void (async () => {
            for await (const c of fs.createReadStream(e.abs, { highWaterMark: 1 << 20 })) {
              if (!w.write(c as Buffer) && !(await drained(w))) return;
            }
            endOf(w);
          })().catch(reject);
        });
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return pack as unknown as AsyncIterable<Uint8Array>;
}

/** A tar entry name as a safe relative path (`/` separators), or a TarError. */
export function safeEntryName(raw: string): string {
  if (raw.includes('\0')) throw new TarError(`tar entry ${JSON.stringify(raw)} has a NUL byte in its name`);
  // A drive letter is absolute only with a separator after it (`C:\x`, `C:/x`); `A:Gln2Cys` is a file name (CWL conformance: colon_in_paths).
  if (raw.startsWith('/') || /^[A-Za-z]:[\\/]/.test(raw) || raw.startsWith('\\')) throw new TarError(`tar entry ${JSON.stringify(raw)} has an absolute name; refusing to extract it`);
  const parts = raw.split(/[/\\]/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new TarError(`tar entry ${JSON.stringify(raw)} has a ".." component; refusing to extract it`);
  if (parts.length === 0) throw new TarError(`tar entry ${JSON.stringify(raw)} has an empty name`);
  return parts.join('/');
}

/**
 * Extracts the tar stream `source` into `dest`, which is created (mode 0700)
 * and must not exist. Only regular files and directories are accepted; the
 * first other entry, or unsafe name, stops the extraction with a TarError
 * (what was written so far stays for the caller to remove).
 */
export async function unpackInto(source: AsyncIterable<Uint8Array>, dest: string): Promise<void> {
  fs.mkdirSync(dest, { mode: 0o700 });
  const root = fs.realpathSync(dest);
  const ex = tar.extract();
  let feedError: unknown = null;
  const feed = (async () => {
    try {
      for await (const c of source) {
        if (!ex.write(c) && !(await drained(ex))) return;
      }
      endOf(ex);
    } catch (err) {
      feedError = err;
      ex.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  try {
    for await (const entry of ex) {
      const h = entry.header;
      const name = safeEntryName(h.name);
      const target = path.join(root, ...name.split('/'));
      if (!target.startsWith(root + path.sep)) throw new TarError(`tar entry ${JSON.stringify(h.name)} points outside the directory`);
      if (h.type === 'directory') {
        makeDirectory(target, h.name);
        entry.resume();
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        const kind = h.type === 'symlink' ? 'a symbolic link' : h.type === 'link' ? 'a hard link' : `of type ${h.type ?? 'unknown'}`;
        throw new TarError(`tar entry ${JSON.stringify(h.name)} is ${kind}; only regular files and directories are extracted`);
      }
      makeDirectory(path.dirname(target), h.name);
      let fh: fs.promises.FileHandle;
      try {
        fh = await fs.promises.open(target, 'wx', (h.mode ?? 0) & 0o100 ? 0o700 : 0o600);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new TarError(`tar entry ${JSON.stringify(h.name)} appears twice`);
        // A name too long for this file system, or a file where the entry needs a directory.
        if (code === 'ENAMETOOLONG' || code === 'ENOTDIR' || code === 'EISDIR') throw new TarError(`tar entry ${JSON.stringify(h.name)} cannot be created here (${code})`);
        throw err;
      }
      try {
        for await (const c of entry) await fh.write(c as Buffer);
      } finally {
        await fh.close();
      }
    }
  } catch (err) {
    ex.destroy();
    await feed;
    throw err instanceof TarError ? err : (feedError ?? asTarError(err));
  }
  await feed;
  if (feedError) throw feedError;
}

/** mkdir -p for entry `name`; a file in the way or a name too long is the archive's fault. */
function makeDirectory(dir: string, name: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENAMETOOLONG' || code === 'ENOTDIR' || code === 'EEXIST') throw new TarError(`tar entry ${JSON.stringify(name)} cannot be created here (${code}: a file is in the way, or the name is too long)`);
    throw err;
  }
}

/**
 * `tar-stream`'s own refusals (a bad checksum, a header field that is not a
 * number, a stream cut inside an entry) become TarErrors: the archive is
 * malformed. File-system errors (ENOSPC, EACCES) stay what they are.
 */
function asTarError(err: unknown): unknown {
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall !== undefined) return err;
  const what = err instanceof Error ? err.message : String(err);
  return new TarError(`the archive is not a valid tar stream (${what})`);
}
