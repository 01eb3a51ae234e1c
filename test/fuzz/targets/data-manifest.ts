/**
 * Fuzz target for a data manifest as the master reads it at start
 * (parseManifest, then the signature against the expected signer). The seed
 * is a two-entry manifest signed with a fixed Ed25519 key; refusals are
 * InputErrors (ManifestError).
 */
import { createPrivateKey } from 'node:crypto';
import { InputError } from '../../../src/errors.js';
import { signerText, publicOf } from '../../../src/crypto/sign-key.js';
import { MANIFEST_FORMAT, manifestText, parseManifest, signManifest, verifyManifest } from '../../../src/master/data/manifest.js';
import type { FuzzTarget } from '../target.js';

/** RFC 8410 §7: PKCS#8 of an Ed25519 key is this prefix and the 32-byte seed. */
const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 0x5a)]), format: 'der', type: 'pkcs8' });
const signer = signerText(publicOf(key));
/** The shape of a binary age header with one X25519 stanza (fixed bytes). */
export const SAMPLE_HEADER = Buffer.from(`age-encryption.org/v1\n-> X25519 ${'A'.repeat(43)}\n${'B'.repeat(43)}\n--- ${'C'.repeat(43)}\n`, 'latin1').toString('base64');

export function sampleManifest(): string {
  const entries = [
    { path: '/lab/reads.bam.age', sha256: 'a'.repeat(64), size: 1000, header: SAMPLE_HEADER },
    { path: '/lab/ref/genome.fa.age', sha256: 'b'.repeat(64), size: 5000, header: SAMPLE_HEADER },
  ];
  return manifestText(signManifest({ format: MANIFEST_FORMAT, entries }, key));
}

export const targets: FuzzTarget[] = [
  {
    name: 'data-manifest',
    seeds: () => [new TextEncoder().encode(sampleManifest())],
    run: (b) => verifyManifest(parseManifest(b, 'lab.json'), signer, 'lab.json'),
    isOwnError: (e) => e instanceof InputError,
  },
];
