/**
 * Intel signs TCB info and QE identity as JSON text: the signature covers the
 * exact bytes of the `tcbInfo` (or `enclaveIdentity`) value as it appears in
 * the PCS response `{"tcbInfo":{…},"signature":"<hex r||s>"}` (Intel PCS API
 * v4, "Get TCB Info" / "Get Quoting Enclave Identity"). Re-serialising the
 * parsed object would change the bytes, so the value's substring is cut out of
 * the response text. A bundle may instead carry the bare signed JSON and the
 * signature separately (raw r||s, or its hex).
 */
import { fail } from './reader.js';

export interface SignedJson {
  /** The exact signed bytes. */
  readonly signed: Uint8Array;
  /** The parsed value of those bytes. */
  readonly value: unknown;
  /** Raw r||s, 64 bytes; undefined when a bare signed JSON came without its signature. */
  readonly signature: Uint8Array | undefined;
}

/** Byte span [start, end) of each top-level member value of a JSON object text. */
export function topLevelValueSpans(text: string): Map<string, [number, number]> {
  const spans = new Map<string, [number, number]>();
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    if (text[i] !== '"') throw new Error(`expected a string at ${i}`);
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    if (i >= text.length) throw new Error('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const skipValue = (): void => {
    const c = text[i];
    if (c === '"') {
      str();
      return;
    }
    if (c !== '{' && c !== '[') {
      while (i < text.length && !',}] \t\r\n'.includes(text[i]!)) i++;
      return;
    }
    let depth = 0;
    while (i < text.length) {
      const d = text[i]!;
      if (d === '"') {
        str();
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') depth--;
      i++;
      if (depth === 0) return;
    }
    throw new Error('unexpected end of JSON');
  };
  ws();
  if (text[i] !== '{') throw new Error('not a JSON object');
  i++;
  for (;;) {
    ws();
    if (text[i] === '}') break;
    const key = str();
    ws();
    if (text[i] !== ':') throw new Error(`expected ':' at ${i}`);
    i++;
    ws();
    const start = i;
    skipValue();
    spans.set(key, [start, i]);
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`expected ',' or '}' at ${i}`);
  }
  return spans;
}

function signatureBytes(b: Uint8Array, what: string): Uint8Array {
  if (b.length === 64) return b;
  const text = Buffer.from(b).toString('latin1').trim();
  if (/^[0-9a-fA-F]{128}$/.test(text)) return Buffer.from(text, 'hex');
  return fail('malformed', `${what}: the signature must be 64 raw bytes (r||s) or 128 hex digits`);
}

/**
 * `bytes` is either a PCS response holding `member` and `signature`, or the
 * bare signed JSON (then the signature comes separately; without it the
 * caller reports `collateral-missing` in its turn).
 */
export function readSignedJson(bytes: Uint8Array, separateSignature: Uint8Array | undefined, member: string, what: string): SignedJson {
  const text = Buffer.from(bytes).toString('utf8');
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch (e) {
    return fail('malformed', `${what}: not JSON (${(e as Error).message})`);
  }
  if (typeof whole !== 'object' || whole === null || Array.isArray(whole)) fail('malformed', `${what}: not a JSON object`);
  if (member in whole) {
    let spans: Map<string, [number, number]>;
    try {
      spans = topLevelValueSpans(text);
    } catch (e) {
      return fail('malformed', `${what}: ${(e as Error).message}`);
    }
    const span = spans.get(member)!;
    const sig = (whole as Record<string, unknown>)['signature'];
    if (typeof sig !== 'string') fail('malformed', `${what}: "signature" must be a hex string`);
    return {
      signed: Buffer.from(text.slice(span[0], span[1]), 'utf8'),
      value: (whole as Record<string, unknown>)[member],
      signature: signatureBytes(Buffer.from(sig, 'latin1'), what),
    };
  }
  const signature = separateSignature ? signatureBytes(separateSignature, `${what}-signature`) : undefined;
  return { signed: Buffer.from(text.trim(), 'utf8'), value: whole, signature };
}
