/**
 * EC key pairs from a fixed private scalar. The runner builds a target's
 * seeds in its own process and runs the target in a child: anything a seed
 * is signed with must be the same key in both, and in every run.
 */
import { createECDH, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

const CURVES = { 'P-256': { ecdh: 'prime256v1', bytes: 32 }, 'P-384': { ecdh: 'secp384r1', bytes: 48 } } as const;

export function fixedEcKey(curve: keyof typeof CURVES, fill: number): { privateKey: KeyObject; publicKey: KeyObject } {
  const c = CURVES[curve];
  const d = Buffer.alloc(c.bytes, fill);
  const ecdh = createECDH(c.ecdh);
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  const x = pub.subarray(1, 1 + c.bytes).toString('base64url');
  const y = pub.subarray(1 + c.bytes).toString('base64url');
  const jwk = { kty: 'EC', crv: curve, x, y, d: d.toString('base64url') };
  return { privateKey: createPrivateKey({ key: jwk, format: 'jwk' }), publicKey: createPublicKey({ key: { kty: 'EC', crv: curve, x, y }, format: 'jwk' }) };
}
