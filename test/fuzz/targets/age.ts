/**
 * Fuzz targets for the age format as `sealflow decrypt` reads it: the header
 * alone (parseHeader), a whole file (header, payload, armor detection) to
 * the end, and the armor decoder. Seeds are files encrypted here to a fixed
 * identity: empty, one byte, a chunk boundary, two chunks, two recipients,
 * a passphrase stanza, armored. Refusals are the format's own errors
 * (CorruptFileError, NoIdentityMatchError: OperationErrors).
 */
import { armorSink, dearmorIfArmored } from '../../../src/crypto/armor.js';
import { decrypt, encrypt, unwrapFileKey, X25519Identity } from '../../../src/crypto/index.js';
import { headerOfSmall, isBinaryAge, openBinaryWithFileKey } from '../../../src/crypto/oneshot.js';
import { findHeaderEnd, parseHeader } from '../../../src/crypto/format.js';
import { bufferSource, readFull, type ByteSink } from '../../../src/crypto/io.js';
import { ScryptIdentity, ScryptRecipient } from '../../../src/crypto/scrypt.js';
import { identityFileText, parseIdentities, parseRecipient } from '../../../src/crypto/keyfile.js';
import { InputError, OperationError } from '../../../src/errors.js';
import type { FuzzTarget } from '../target.js';

/** A fixed identity, so seeds and crashes reproduce. */
const IDENTITY = new X25519Identity(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
const OTHER = new X25519Identity(Uint8Array.from({ length: 32 }, (_, i) => 200 - i));
/** Work factor 2^1 (at most 2^4 accepted): scrypt stanzas must stay cheap to try. */
const PASSPHRASE = 'fuzz';

const isOwn = (e: unknown): boolean => e instanceof OperationError || e instanceof InputError;

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return new Uint8Array(Buffer.concat(parts));
}

function plain(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff);
}

async function armored(bin: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const sink: ByteSink = { write: async (d) => void parts.push(new Uint8Array(d)) };
  const a = armorSink(sink);
  await a.sink.write(bin);
  await a.finish();
  return new Uint8Array(Buffer.concat(parts));
}

let seedCache: Promise<Uint8Array[]> | undefined;
function seeds(): Promise<Uint8Array[]> {
  seedCache ??= (async () => {
    const to = [IDENTITY.recipient()];
    const out: Uint8Array[] = [];
    for (const n of [0, 1, 65536, 65537]) out.push(await collect(encrypt(to, plain(n))));
    out.push(await collect(encrypt([OTHER.recipient(), IDENTITY.recipient()], plain(100))));
    out.push(await collect(encrypt([new ScryptRecipient(PASSPHRASE, 1)], plain(10))));
    out.push(await armored(out[1] as Uint8Array));
    return out;
  })();
  return seedCache;
}

export const targets: FuzzTarget[] = [
  {
    name: 'age-header',
    seeds: async () => (await seeds()).filter((s) => s[0] === 0x61).map((s) => s.subarray(0, Math.max(0, findHeaderEnd(s)))),
    run: (b) => parseHeader(b),
    isOwnError: isOwn,
  },
  {
    name: 'age-file',
    seeds,
    run: async (b) => collect(decrypt([IDENTITY, new ScryptIdentity(PASSPHRASE, 4)], b)),
    isOwnError: isOwn,
  },
  {
    // The worker's in-memory path for small inputs (sealed-io.ts): header, the released key's MAC check, payload.
    name: 'age-small-file',
    seeds,
    run: (b) => (isBinaryAge(b) ? openBinaryWithFileKey(unwrapFileKey(headerOfSmall(b), [IDENTITY]), b) : undefined),
    isOwnError: isOwn,
  },
  {
    name: 'age-armor',
    seeds: async () => [(await seeds())[6] as Uint8Array, await armored(new Uint8Array(0)), await armored(plain(3000))],
    run: async (b) => {
      const { source } = await dearmorIfArmored(bufferSource(b));
      const buf = new Uint8Array(1 << 16);
      while ((await readFull(source, buf)) > 0);
    },
    isOwnError: isOwn,
  },
  {
    name: 'age-keys',
    seeds: () => [
      new TextEncoder().encode(identityFileText(IDENTITY, new Date('2026-01-01T00:00:00Z'))),
      new TextEncoder().encode(`# two\n${IDENTITY.toString()}\n\n${OTHER.toString()}\n`),
      new TextEncoder().encode(`${IDENTITY.recipient().toString()}\n`),
    ],
    // An identity file, and the same text read as a recipient (-r) — both what a user types or names.
    run: (b) => {
      const text = Buffer.from(b).toString('utf8');
      try {
        return parseIdentities(text, 'owner.key');
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        return parseRecipient(text);
      }
    },
    isOwnError: (e) => e instanceof InputError,
  },
];
