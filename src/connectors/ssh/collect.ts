/**
 * What comes back from a worker host at the end of an attempt, in one
 * round trip (stager.ts `collect`): the files under the attempt's output
 * directory and its two sealed logs, as one stream of frames written by a
 * POSIX shell on the host:
 *
 *     <name> NUL <size in decimal> NUL <size bytes>    (repeated)
 *
 * `name` is `d/<path relative to the output directory>` or `l/<label>`.
 * The host is not trusted: names are checked (no `..`, no absolute path, no
 * empty or `.` segment, at most 4 KiB), sizes are bounded decimal numbers,
 * a name may come once, and a stream that ends inside a frame is refused.
 * The bytes are ciphertext whose hash the master checks afterwards.
 */
import { OperationError } from '../../errors.js';

/** A returned stream the master refuses (the attempt's outputs are then not accepted). */
export class CollectError extends OperationError {}

/** The script: `$1` the output directory (may be missing), then `label=file` pairs; files are streamed, then `rm` of `$RM…` after `--`. */
export const COLLECT_SCRIPT = [
  'd=$1; shift',
  // Sizes from wc -c: a file that changes meanwhile breaks the framing, which the master refuses.
  'emit() { printf "%s\\000%s\\000" "$1" "$(wc -c < "$2" | tr -d " ")" && cat -- "$2"; }',
  'while [ $# -gt 0 ] && [ "$1" != -- ]; do l=${1%%=*}; f=${1#*=}; [ -f "$f" ] && { emit "l/$l" "$f" || exit 4; }; shift; done',
  '[ $# -gt 0 ] && shift',
  'if [ -d "$d" ]; then cd -- "$d" || exit 4; find . -type f -print0 | xargs -0 -r sh -c \'for f; do printf "%s\\000%s\\000" "d/${f#./}" "$(wc -c < "$f" | tr -d " ")" && cat -- "$f" || exit 4; done\' sh || exit 4; cd /; fi',
  '[ $# -gt 0 ] && rm -rf -- "$@"',
  'exit 0',
].join('\n');

const MAX_NAME = 4096;
const MAX_SIZE_DIGITS = 16;

export type CollectEvent = { readonly type: 'file'; readonly name: string; readonly size: number } | { readonly type: 'data'; readonly bytes: Uint8Array } | { readonly type: 'end-file' };

/** A checked frame name: `{kind: 'd', path}` (relative, normalised) or `{kind: 'l', label}`. */
export function checkCollectName(name: string, host: string): { readonly kind: 'd' | 'l'; readonly rest: string } {
  const bad = (why: string) => new CollectError(`${host}: refusing a returned file named ${JSON.stringify(name.slice(0, 200))}: ${why}`);
  const m = /^([dl])\/(.+)$/s.exec(name);
  if (!m) throw bad('not d/… or l/…');
  const rest = m[2]!;
  if (m[1] === 'l') {
    if (!/^[a-z]{1,16}$/.test(rest)) throw bad('not a log label');
    return { kind: 'l', rest };
  }
  if (rest.startsWith('/') || rest.split('/').some((s) => s === '' || s === '.' || s === '..')) throw bad('outside the output directory');
  return { kind: 'd', rest };
}

/** Parses the frames incrementally; `push` returns the events of a chunk (throws CollectError on a bad frame); `end` throws if the stream stopped inside one. */
export class CollectParser {
  #state: 'name' | 'size' | 'body' = 'name';
  #head: number[] = [];
  #name = '';
  #left = 0;
  readonly #seen = new Set<string>();

  constructor(private readonly host: string) {}

  push(chunk: Uint8Array): CollectEvent[] {
    const out: CollectEvent[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === 'body') {
        const n = Math.min(this.#left, chunk.length - i);
        out.push({ type: 'data', bytes: chunk.subarray(i, i + n) });
        i += n;
        this.#left -= n;
        if (this.#left === 0) {
          out.push({ type: 'end-file' });
          this.#state = 'name';
        }
        continue;
      }
      const b = chunk[i++]!;
      if (b !== 0) {
        this.#head.push(b);
        const max = this.#state === 'name' ? MAX_NAME : MAX_SIZE_DIGITS;
        if (this.#head.length > max) throw new CollectError(`${this.host}: a returned file's ${this.#state} is longer than ${max} bytes`);
        continue;
      }
      const text = Buffer.from(this.#head).toString('utf8');
      this.#head = [];
      if (this.#state === 'name') {
        checkCollectName(text, this.host);
        if (this.#seen.has(text)) throw new CollectError(`${this.host}: the returned file ${JSON.stringify(text.slice(0, 200))} came twice`);
        this.#seen.add(text);
        this.#name = text;
        this.#state = 'size';
      } else {
        if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new CollectError(`${this.host}: the size of returned file ${JSON.stringify(this.#name.slice(0, 200))} is not a number: ${JSON.stringify(text.slice(0, 40))}`);
        this.#left = Number(text);
        out.push({ type: 'file', name: this.#name, size: this.#left });
        if (this.#left === 0) {
          out.push({ type: 'end-file' });
          this.#state = 'name';
        } else this.#state = 'body';
      }
    }
    return out;
  }

  end(): void {
    if (this.#state !== 'name' || this.#head.length > 0) throw new CollectError(`${this.host}: the returned files ended inside a frame (${this.#state})`);
  }
}
