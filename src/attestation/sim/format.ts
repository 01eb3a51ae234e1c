/**
 * The `sim` evidence format: what the software-only development platform
 * produces instead of hardware evidence. It is NOT a TEE: whoever holds the
 * simulation root key can sign anything. The verifier reports it as platform
 * `sim`, and the policy refuses it unless `allowSimulated: true`.
 *
 * Layout (all integers little-endian), 296 bytes:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0x00 | 8  | MAGIC `SEALSIM\0` |
 * | 0x08 | 2  | VERSION = 1 |
 * | 0x0A | 2  | FLAGS: bit 0 DEBUG; other bits must be 0 |
 * | 0x0C | 4  | reserved, 0 |
 * | 0x10 | 8  | TIMESTAMP, milliseconds since the Unix epoch |
 * | 0x18 | 48 | MEASUREMENT |
 * | 0x48 | 64 | REPORT_DATA |
 * | 0x88 | 32 | RUN_ID, UTF-8, zero-padded |
 * | 0xA8 | 32 | ROOT_KEY_ID: SHA-256 of the root public key (SPKI DER) |
 * | 0xC8 | 96 | SIGNATURE: ECDSA P-384 / SHA-384 over 0x00..0xC7, r‖s big-endian |
 */
import { createHash, sign, type KeyObject, createPublicKey } from 'node:crypto';
import { need, u16le, u32le, u64le, isAllZero } from '../bytes.js';
import { AttestationError } from '../verifier.js';

export const SIM_MAGIC = Buffer.from('SEALSIM\0', 'latin1');
export const SIM_VERSION = 1;
export const SIM_SIGNED_END = 0xc8;
export const SIM_LENGTH = 0x128;

/** Byte ranges of the signed field groups, for tests that mutate them. */
export const SIM_FIELDS = {
  header: [0x00, 0x10],
  timestamp: [0x10, 0x18],
  measurement: [0x18, 0x48],
  reportData: [0x48, 0x88],
  runId: [0x88, 0xa8],
  rootKeyId: [0xa8, 0xc8],
  signature: [0xc8, 0x128],
} as const satisfies Record<string, readonly [number, number]>;

export interface SimFields {
  /** 48 bytes. */
  readonly measurement: Uint8Array;
  /** Up to 64 bytes, zero-padded. */
  readonly reportData: Uint8Array;
  /** At most 32 bytes of UTF-8. */
  readonly runId: string;
  readonly debug?: boolean;
  /** Defaults to the current time. */
  readonly timestamp?: Date;
}

export interface SimEvidence {
  readonly version: number;
  readonly debug: boolean;
  readonly timestamp: Date;
  readonly measurement: Uint8Array;
  readonly reportData: Uint8Array;
  readonly runId: string;
  readonly rootKeyId: Uint8Array;
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
}

export function spkiFingerprint(key: KeyObject): Uint8Array {
  return new Uint8Array(createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest());
}

/**
 * Produce sim evidence signed by the simulation root key (an ECDSA P-384
 * private key). Used by the sim TEE platform and by tests.
 */
export function createSimEvidence(rootPrivateKey: KeyObject, fields: SimFields): Uint8Array {
  if (rootPrivateKey.asymmetricKeyType !== 'ec' || rootPrivateKey.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw new TypeError('createSimEvidence: the root key must be an ECDSA P-384 private key');
  }
  if (fields.measurement.length !== 48) throw new TypeError('createSimEvidence: measurement must be 48 bytes');
  if (fields.reportData.length > 64) throw new TypeError('createSimEvidence: report data must be at most 64 bytes');
  const runId = Buffer.from(fields.runId, 'utf8');
  if (runId.length > 32) throw new TypeError('createSimEvidence: run id must be at most 32 bytes of UTF-8');
  const out = Buffer.alloc(SIM_LENGTH);
  SIM_MAGIC.copy(out, 0);
  out.writeUInt16LE(SIM_VERSION, 0x08);
  out.writeUInt16LE(fields.debug === true ? 1 : 0, 0x0a);
  out.writeBigUInt64LE(BigInt((fields.timestamp ?? new Date()).getTime()), 0x10);
  out.set(fields.measurement, 0x18);
  out.set(fields.reportData, 0x48);
  runId.copy(out, 0x88);
  out.set(spkiFingerprint(createPublicKey(rootPrivateKey)), 0xa8);
  const sig = sign('sha384', out.subarray(0, SIM_SIGNED_END), { key: rootPrivateKey, dsaEncoding: 'ieee-p1363' });
  sig.copy(out, SIM_SIGNED_END);
  return new Uint8Array(out);
}

export function looksLikeSim(b: Uint8Array): boolean {
  return b.length >= 8 && Buffer.from(b.subarray(0, 8)).equals(SIM_MAGIC);
}

/** Parse (no signature check). Throws `malformed` / `unsupported-version`. */
export function parseSimEvidence(b: Uint8Array): SimEvidence {
  need(looksLikeSim(b), 'not sim evidence: the magic "SEALSIM" is missing');
  need(b.length >= 0x0a, `sim evidence is truncated (${b.length} bytes)`);
  const version = u16le(b, 0x08);
  if (version !== SIM_VERSION) throw new AttestationError('unsupported-version', `sim evidence version ${version} is not supported (expected ${SIM_VERSION})`);
  need(b.length === SIM_LENGTH, `sim evidence must be ${SIM_LENGTH} bytes, got ${b.length}`);
  const flags = u16le(b, 0x0a);
  need((flags & ~1) === 0 && u32le(b, 0x0c) === 0, 'sim evidence has reserved bits set');
  const ms = u64le(b, 0x10);
  need(ms <= 8_640_000_000_000_000n, 'sim evidence timestamp is out of range');
  const runIdBytes = b.subarray(0x88, 0xa8);
  const end = runIdBytes.indexOf(0);
  const runIdUsed = end < 0 ? runIdBytes : runIdBytes.subarray(0, end);
  need(end < 0 || isAllZero(runIdBytes.subarray(end)), 'sim evidence run id is not zero-padded');
  let runId: string;
  try {
    runId = new TextDecoder('utf-8', { fatal: true }).decode(runIdUsed);
  } catch {
    throw new AttestationError('malformed', 'sim evidence run id is not UTF-8');
  }
  return {
    version,
    debug: (flags & 1) === 1,
    timestamp: new Date(Number(ms)),
    measurement: b.slice(0x18, 0x48),
    reportData: b.slice(0x48, 0x88),
    runId,
    rootKeyId: b.slice(0xa8, 0xc8),
    signed: b.subarray(0, SIM_SIGNED_END),
    signature: b.slice(SIM_SIGNED_END, SIM_LENGTH),
  };
}
