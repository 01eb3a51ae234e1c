/** The header grammar, strict base64 and bech32 (age v1 spec, "Header" and "Encoding"). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePadded, decodeUnpadded, encodeUnpadded } from '../../src/crypto/base64.js';
import { bech32Decode, bech32Encode } from '../../src/crypto/bech32.js';
import { encodeHeader, findHeaderEnd, parseHeader, verifyHeaderMac } from '../../src/crypto/format.js';
import { CorruptFileError } from '../../src/crypto/errors.js';
import type { Stanza } from '../../src/crypto/types.js';

const fileKey = Buffer.alloc(16, 1);

function header(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

describe('base64', () => {
  test('round-trips without padding', () => {
    for (let n = 0; n < 50; n++) {
      const b = Buffer.alloc(n, 0xa5);
      assert.deepEqual(decodeUnpadded(encodeUnpadded(b)), b);
    }
  });
  test('rejects padding, bad characters, impossible lengths and non-canonical trailing bits', () => {
    for (const bad of ['AA==', 'A', 'AB', 'A B', 'AA\n', 'AB-_', 'AR']) assert.equal(decodeUnpadded(bad), null, bad);
    assert.deepEqual(decodeUnpadded('AA'), Buffer.from([0]));
  });
  test('the padded form (armor) requires canonical padding', () => {
    assert.deepEqual(decodePadded('AA=='), Buffer.from([0]));
    for (const bad of ['AA', 'AB==', 'A===', 'AA=A']) assert.equal(decodePadded(bad), null, bad);
  });
});

describe('bech32', () => {
  test('decodes the BIP 173 valid test vectors (checksum constant 1)', () => {
    for (const s of ['A12UEL5L', 'a12uel5l', 'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw', '?1ezyfcl']) {
      assert.notEqual(bech32Decode(s), null, s);
    }
  });
  test('rejects mixed case, a bad checksum and bad characters', () => {
    for (const s of ['A12uEL5L', 'a12uel5m', 'abcdef1qpzrz9x8gf2tvdw0s3jn54khce6mua7lmqqqxw', 'a1b2uel5l']) {
      assert.equal(bech32Decode(s), null, s);
    }
  });
  test('round-trips 32-byte keys', () => {
    const data = Buffer.from([...Array(32).keys()]);
    const s = bech32Encode('age', data);
    assert.ok(s.startsWith('age1'));
    assert.deepEqual(bech32Decode(s)?.data, data);
  });
});

describe('header', () => {
  const stanza = (body: number, ...args: string[]): Stanza => ({ type: 'test', args, body: Buffer.alloc(body, 7) });

  test('encodes stanza bodies in 64-column lines with a shorter (possibly empty) last line', () => {
    const h = encodeHeader([stanza(48, 'a'), stanza(0), stanza(50, 'x', 'y')], fileKey);
    const lines = h.toString('latin1').split('\n');
    assert.equal(lines[0], 'age-encryption.org/v1');
    assert.equal(lines[1], '-> test a');
    assert.equal(lines[2]!.length, 64);
    assert.equal(lines[3], ''); // 48 bytes is exactly one full line: an empty line ends the body
    assert.equal(lines[4], '-> test');
    assert.equal(lines[5], '');
    assert.equal(lines[6], '-> test x y');
    assert.equal(lines[7]!.length, 64);
    assert.equal(lines[8]!.length, 3);
    assert.match(lines[9]!, /^--- [A-Za-z0-9+/]{43}$/);
  });

  test('parses what it encodes and the MAC verifies under the file key only', () => {
    const stanzas = [stanza(32, 'arg1'), stanza(100)];
    const bytes = encodeHeader(stanzas, fileKey);
    assert.equal(findHeaderEnd(Buffer.concat([bytes, Buffer.from('payload')])), bytes.length);
    const h = parseHeader(bytes);
    assert.deepEqual(
      h.stanzas.map((s) => [s.type, s.args, Buffer.from(s.body)]),
      stanzas.map((s) => [s.type, s.args, Buffer.from(s.body)]),
    );
    assert.ok(verifyHeaderMac(h, fileKey));
    assert.ok(!verifyHeaderMac(h, Buffer.alloc(16, 2)));
    assert.equal(Buffer.from(h.macInput).toString('latin1').slice(-4), '\n---');
  });

  const good = encodeHeader([stanza(32, 'a')], fileKey).toString('latin1');
  const mac = good.slice(good.lastIndexOf('--- '));
  const cases: Array<[string, string]> = [
    ['an unknown version', good.replace('v1', 'v2')],
    ['a missing body line', `age-encryption.org/v1\n-> test a\n${mac}`],
    ['a body line over 64 columns', `age-encryption.org/v1\n-> test a\n${'A'.repeat(68)}\n${mac}`],
    ['a non-final body line under 64 columns followed by more body', `age-encryption.org/v1\n-> test a\nAAAA\nAAAA\n${mac}`],
    ['an empty argument', `age-encryption.org/v1\n-> test  a\n\n${mac}`],
    ['a non-canonical body', `age-encryption.org/v1\n-> test a\nAB\n${mac}`],
    ['a short MAC', `age-encryption.org/v1\n-> test a\n\n--- AAAA\n`],
    ['a padded MAC', good.replace(/\n$/, '=\n')],
    ['CRLF line endings', good.replaceAll('\n', '\r\n')],
    ['a line that is neither stanza nor footer', `age-encryption.org/v1\n-- test\n\n${mac}`],
  ];
  for (const [what, text] of cases) {
    test(`rejects a header with ${what}`, () => {
      assert.throws(() => parseHeader(header(text)), (e: unknown) => e instanceof CorruptFileError && e.location === 'header');
    });
  }
});
