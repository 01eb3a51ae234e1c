/**
 * ASCII armor (age v1 spec, "ASCII armor"): a strict subset of RFC 7468 PEM.
 *
 *     -----BEGIN AGE ENCRYPTED FILE-----
 *     <padded base64 of the binary file, 64 columns; last line 1..64 columns>
 *     -----END AGE ENCRYPTED FILE-----
 *
 * Readers accept LF or CRLF line endings and whitespace before the first line
 * and after the last; everything else must be exactly canonical.
 */
import { decodePadded } from './base64.js';
import { CorruptFileError } from './errors.js';
import { PrefixedSource, readFull, type ByteSink, type ByteSource } from './io.js';

export const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
export const END = '-----END AGE ENCRYPTED FILE-----';
const COLUMNS = 64;
const BYTES_PER_LINE = 48;
const B64_LINE = /^[A-Za-z0-9+/]*$/;

function armorError(detail: string): CorruptFileError {
  return new CorruptFileError('armor', `${detail}; an armored file must be exactly as "sealflow encrypt -a" or "age -a" writes it`);
}

/** Base64 lines of 64 columns, each ending with "\n". */
function lines(b64: string): string {
  let out = '';
  for (let i = 0; i < b64.length; i += COLUMNS) out += `${b64.slice(i, i + COLUMNS)}\n`;
  return out;
}

/** Wraps a sink so that what is written to it comes out armored; call `finish` at the end. */
export function armorSink(inner: ByteSink): { sink: ByteSink; finish: () => Promise<void> } {
  let pending = Buffer.alloc(0);
  let started = false;
  const begin = (): string => (started ? '' : ((started = true), `${BEGIN}\n`));
  return {
    sink: {
      async write(data) {
        const all = Buffer.concat([pending, data]);
        const whole = all.length - (all.length % BYTES_PER_LINE);
        pending = all.subarray(whole);
        const text = begin() + lines(all.subarray(0, whole).toString('base64'));
        if (text.length > 0) await inner.write(Buffer.from(text, 'latin1'));
      },
    },
    async finish() {
      const text = begin() + lines(pending.toString('base64')) + `${END}\n`;
      await inner.write(Buffer.from(text, 'latin1'));
    },
  };
}

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * Looks at the start of `source`: if it is armored, returns a source of the
 * decoded binary file; otherwise a source of the unchanged bytes.
 */
export async function dearmorIfArmored(source: ByteSource): Promise<{ armored: boolean; source: ByteSource }> {
  const head = Buffer.alloc(1024);
  const n = await readFull(source, head);
  const got = head.subarray(0, n);
  let i = 0;
  while (i < got.length && isSpace(got[i]!)) i++;
  // A binary age file starts with its version line; anything else that
  // mentions a PEM boundary is (possibly malformed) armor, and gets armor errors.
  const binary = got.subarray(i, i + 19).toString('latin1') === 'age-encryption.org/';
  if (binary || (got[i] !== 0x2d && got.indexOf('-----BEGIN') < 0)) {
    return { armored: false, source: new PrefixedSource(got, source) };
  }
  return { armored: true, source: new ArmorSource(new PrefixedSource(got.subarray(i), source)) };
}

type State = 'begin' | 'body' | 'end' | 'after';

class ArmorSource implements ByteSource {
  readonly #src: ByteSource;
  #text = '';
  #eof = false;
  #out: Buffer = Buffer.alloc(0);
  #state: State = 'begin';
  #line = 0;

  constructor(src: ByteSource) {
    this.#src = src;
  }

  async read(into: Uint8Array): Promise<number> {
    while (this.#out.length === 0 && this.#state !== 'after') await this.#step();
    if (this.#out.length === 0) {
      await this.#checkTrailer();
      return 0;
    }
    const n = Math.min(into.length, this.#out.length);
    into.set(this.#out.subarray(0, n));
    this.#out = this.#out.subarray(n);
    return n;
  }

  readonly #buf = Buffer.alloc(256 * 1024);

  async #more(): Promise<void> {
    const n = await this.#src.read(this.#buf);
    if (n === 0) this.#eof = true;
    else this.#text += this.#buf.toString('latin1', 0, n);
  }

  /** Consumes the complete lines available (reading more if there are none). */
  async #step(): Promise<void> {
    let nl = this.#text.lastIndexOf('\n');
    while (nl < 0 && !this.#eof) {
      await this.#more();
      nl = this.#text.lastIndexOf('\n');
    }
    if (nl < 0) {
      if (this.#text.length === 0) throw armorError(`the armor ends without a "${END}" line`);
      nl = this.#text.length; // a last line without newline
      this.#text += '\n';
    }
    const block = this.#text.slice(0, nl).split('\n');
    this.#text = this.#text.slice(nl + 1);
    const decoded: string[] = [];
    for (let line of block) {
      this.#line++;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (this.#state === 'begin') {
        if (line !== BEGIN) throw armorError(`line ${this.#line} is not "${BEGIN}"`);
        this.#state = 'body';
      } else if (this.#state === 'after') {
        if (line.trim() !== '') throw armorError(`unexpected data after "${END}" (line ${this.#line})`);
      } else if (line === END) {
        this.#state = 'after';
      } else if (this.#state === 'end') {
        throw armorError(`line ${this.#line}: expected "${END}" after a short or padded line`);
      } else if (line.length === COLUMNS && B64_LINE.test(line)) {
        decoded.push(line);
      } else if (line.length > 0 && line.length <= COLUMNS) {
        const last = decodePadded(line);
        if (!last) throw armorError(`line ${this.#line} is not canonical base64`);
        decoded.push(line);
        this.#state = 'end';
      } else {
        throw armorError(`line ${this.#line} has ${line.length} columns, not 64`);
      }
    }
    if (decoded.length > 0) this.#out = Buffer.concat([this.#out, Buffer.from(decoded.join(''), 'base64')]);
  }

  async #checkTrailer(): Promise<void> {
    while (!this.#eof) {
      if (this.#text.trim() !== '') break;
      this.#text = '';
      await this.#more();
    }
    if (this.#text.trim() !== '') throw armorError(`unexpected data after "${END}"`);
  }
}
