/**
 * The `newc` cpio format an initramfs is (Linux
 * Documentation/driver-api/early-userspace/buffer-format.rst: "070701", 13
 * eight-digit hex fields, the NUL-terminated name padded to 4 bytes, the
 * data padded to 4 bytes, ended by "TRAILER!!!"). The tests write small
 * initrds with it and the stand-in `qemu-system-x86_64` reads them back:
 * regular files, directories and symlinks only, every name relative and
 * free of `..`, and sizes bounded — anything else is refused.
 */
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CpioEntry {
  /** Relative path inside the archive (`opt/sealflow/launch.json`). */
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink';
  /** File contents, or a symlink's target. */
  readonly data: Buffer;
  /** Permission bits (e.g. 0o755). */
  readonly mode: number;
}

const MAGIC = '070701';
const TYPE_BITS: Record<CpioEntry['type'], number> = { file: 0o100000, dir: 0o040000, symlink: 0o120000 };
const pad4 = (n: number): number => (4 - (n % 4)) % 4;
/** The reader's bounds: the tests' initrds are a few hundred KiB. */
export const CPIO_LIMITS = { entries: 4096, nameBytes: 4096, totalBytes: 64 * 2 ** 20 } as const;

function header(e: { name: string; mode: number; size: number; ino: number }): Buffer {
  const fields = [e.ino, e.mode, 0, 0, 1, 0, e.size, 0, 0, 0, 0, Buffer.byteLength(e.name) + 1, 0];
  return Buffer.from(MAGIC + fields.map((f) => f.toString(16).padStart(8, '0')).join(''), 'latin1');
}

/** A newc archive of `entries` (in order), ending with the trailer. */
export function writeNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const put = (name: string, mode: number, data: Buffer, ino: number) => {
    const h = header({ name, mode, size: data.length, ino });
    const nameBytes = Buffer.from(name + '\0', 'utf8');
    parts.push(h, nameBytes, Buffer.alloc(pad4(h.length + nameBytes.length)), data, Buffer.alloc(pad4(data.length)));
  };
  entries.forEach((e, i) => put(e.name, TYPE_BITS[e.type] | (e.mode & 0o7777), e.type === 'dir' ? Buffer.alloc(0) : e.data, i + 1));
  put('TRAILER!!!', 0, Buffer.alloc(0), 0);
  return Buffer.concat(parts);
}

export class CpioError extends Error {}

/** The entries of newc archive `buf`; throws CpioError saying what and at which offset. */
export function readNewc(buf: Uint8Array): CpioEntry[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length > CPIO_LIMITS.totalBytes) throw new CpioError(`archive is larger than ${CPIO_LIMITS.totalBytes} bytes`);
  const out: CpioEntry[] = [];
  let off = 0;
  for (;;) {
    if (off + 110 > b.length) throw new CpioError(`truncated header at offset ${off} (no TRAILER!!!)`);
    const h = b.toString('latin1', off, off + 110);
    if (!h.startsWith(MAGIC)) throw new CpioError(`bad magic at offset ${off}: not a newc cpio archive`);
    const field = (i: number): number => {
      const s = h.slice(6 + 8 * i, 14 + 8 * i);
      if (!/^[0-9a-fA-F]{8}$/.test(s)) throw new CpioError(`header field ${i} at offset ${off} is not hex`);
      return parseInt(s, 16);
    };
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    if (nameSize < 1 || nameSize > CPIO_LIMITS.nameBytes) throw new CpioError(`name size ${nameSize} at offset ${off} is out of bounds`);
    const nameEnd = off + 110 + nameSize;
    if (nameEnd > b.length || b[nameEnd - 1] !== 0) throw new CpioError(`name at offset ${off} is truncated or not NUL-terminated`);
    const name = b.toString('utf8', off + 110, nameEnd - 1);
    const dataStart = nameEnd + pad4(110 + nameSize);
    if (dataStart + size > b.length) throw new CpioError(`data of ${JSON.stringify(name)} runs past the end of the archive`);
    const data = Buffer.from(b.subarray(dataStart, dataStart + size));
    off = dataStart + size + pad4(size);
    if (name === 'TRAILER!!!') return out;
    if (out.length >= CPIO_LIMITS.entries) throw new CpioError(`more than ${CPIO_LIMITS.entries} entries`);
    const clean = name.replace(/^\.\//, '');
    if (clean === '' || clean === '.' || path.posix.isAbsolute(clean) || clean.split('/').some((p) => p === '..' || p === '') || clean.includes('\0')) throw new CpioError(`entry name ${JSON.stringify(name)} is not a relative path inside the archive`);
    const kind = mode & 0o170000;
    const type = (Object.keys(TYPE_BITS) as CpioEntry['type'][]).find((t) => TYPE_BITS[t] === kind);
    if (type === undefined) throw new CpioError(`entry ${JSON.stringify(name)} has file type ${kind.toString(8)}: only files, directories and symlinks are read`);
    out.push({ name: clean, type, data, mode: mode & 0o7777 });
  }
}

/** Writes the entries under `dir` (which must exist); symlinks are created as they are, never followed. */
export function extractNewc(entries: readonly CpioEntry[], dir: string): void {
  const root = realpathSync(dir);
  for (const e of entries) {
    const to = path.join(root, e.name);
    mkdirSync(path.dirname(to), { recursive: true });
    const parent = realpathSync(path.dirname(to));
    if (parent !== root && !parent.startsWith(root + path.sep)) throw new CpioError(`entry ${JSON.stringify(e.name)} would be written outside the archive's directory (through a symlink)`);
    if (e.type === 'dir') mkdirSync(to, { recursive: true, mode: e.mode });
    else if (e.type === 'symlink') symlinkSync(e.data.toString('utf8'), to);
    else writeFileSync(to, e.data, { mode: e.mode, flag: 'wx' });
  }
}
