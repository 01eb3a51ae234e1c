/**
 * The CCTV age test vectors (npm `cctv-age`, from C2SP/CCTV), which nobody
 * here wrote: every vector is decrypted whole and again one byte at a time;
 * success vectors must produce the payload whose SHA-256 they list, failure
 * vectors must fail in the listed category. Vectors for the post-quantum
 * hybrid recipient type (AGE-SECRET-KEY-PQ-1…, ML-KEM-768 + X25519) are not
 * run: sealflow does not implement that type (Node 20 has no ML-KEM).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import * as vectors from 'cctv-age';
import { decryptTo, CorruptFileError, NoIdentityMatchError, ScryptIdentity, X25519Identity } from '../../src/crypto/index.js';
import { bufferSource, BufferSink, iterableSource } from '../../src/crypto/io.js';
import type { Identity } from '../../src/crypto/types.js';
import { inPieces } from '../helpers/bytes.js';

interface Vector {
  readonly name: string;
  readonly expect: string;
  readonly payload: string | undefined;
  readonly identities: readonly Identity[];
  readonly hybrid: boolean;
  readonly file: Buffer;
}

function parseVector(name: string, raw: Uint8Array): Vector {
  const buf = Buffer.from(raw);
  const split = buf.indexOf('\n\n');
  const fields: Array<[string, string]> = buf
    .toString('latin1', 0, split)
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]);
  const get = (k: string): string[] => fields.filter(([key]) => key === k).map(([, v]) => v);
  let file = buf.subarray(split + 2);
  if (get('compressed')[0] === 'zlib') file = zlib.inflateSync(file);
  const hybrid = get('identity').some((s) => s.startsWith('AGE-SECRET-KEY-PQ-'));
  const identities: Identity[] = [
    ...get('identity').flatMap((s) => X25519Identity.tryParse(s) ?? []),
    ...get('passphrase').map((p) => new ScryptIdentity(p)),
  ];
  return { name, expect: get('expect')[0] ?? '', payload: get('payload')[0], identities, hybrid, file };
}

/** Does `err` belong to the vector's expected failure category? */
function matchesExpectation(expect: string, err: unknown): boolean {
  switch (expect) {
    case 'no match':
      return err instanceof NoIdentityMatchError;
    case 'HMAC failure':
    case 'header failure':
      return err instanceof CorruptFileError && err.location === 'header';
    case 'armor failure':
      return err instanceof CorruptFileError && err.location === 'armor';
    case 'payload failure':
      return err instanceof CorruptFileError && typeof err.location === 'object';
    default:
      return false;
  }
}

const all = Object.entries(vectors as Record<string, Uint8Array>)
  .filter(([, v]) => v instanceof Uint8Array)
  .map(([name, v]) => parseVector(name, v));

describe('CCTV age test vectors', () => {
  test('the package holds the expected vector set', () => {
    assert.ok(all.length >= 140, `only ${all.length} vectors`);
  });

  for (const v of all) {
    const skip = v.hybrid ? 'post-quantum hybrid recipients (ML-KEM) are not implemented' : false;
    // Streamed variant: one byte at a time, or 7919-byte pieces for the multi-MiB stream vectors.
    const piece = v.file.length <= 70_000 ? 1 : 7919;
    for (const streamed of [false, true]) {
      const how = piece === 1 ? 'one byte at a time' : `in ${piece}-byte pieces`;
      test(`${v.name}: ${v.expect}${streamed ? ` (input ${how})` : ''}`, { skip }, async () => {
        const sink = new BufferSink();
        const source = streamed ? iterableSource(inPieces(v.file, piece)) : bufferSource(v.file);
        const err = await decryptTo(v.identities, source, sink, { pipeline: { chunksPerBatch: 1 } }).then(
          () => null,
          (e: unknown) => e,
        );
        if (v.expect === 'success') {
          assert.equal(err, null, `unexpected ${String(err)}`);
          assert.equal(crypto.createHash('sha256').update(sink.bytes()).digest('hex'), v.payload);
        } else {
          assert.ok(matchesExpectation(v.expect, err), `expected ${v.expect}, got ${String(err)}`);
        }
      });
    }
  }
});
