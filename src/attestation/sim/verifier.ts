/** Verifier for `sim` evidence (format.ts): always platform `sim`, never a TEE. */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { equalBytes, hex } from '../bytes.js';
import { AttestationError, type Claims, type Collateral, type EvidenceVerifier, type VerifyOptions } from '../verifier.js';
import { looksLikeSim, parseSimEvidence, spkiFingerprint } from './format.js';

const keyCache = new Map<string, { key: KeyObject; fingerprint: Uint8Array }>();

function rootKey(collateral: Collateral): { key: KeyObject; fingerprint: Uint8Array } {
  const pem = collateral['sim-root-key'];
  if (pem === undefined) throw new AttestationError('collateral-missing', 'sim evidence needs the simulation root public key (collateral "sim-root-key", SPKI PEM)');
  const cacheKey = Buffer.from(pem).toString('base64');
  const hit = keyCache.get(cacheKey);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = createPublicKey(Buffer.from(pem).toString('latin1').includes('-----BEGIN') ? Buffer.from(pem).toString('latin1') : { key: Buffer.from(pem), format: 'der', type: 'spki' });
  } catch {
    throw new AttestationError('malformed', 'collateral "sim-root-key" is not a public key (SPKI PEM or DER)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw new AttestationError('chain-untrusted', 'collateral "sim-root-key" is not an ECDSA P-384 key');
  }
  const entry = { key, fingerprint: spkiFingerprint(key) };
  if (keyCache.size >= 16) keyCache.clear();
  keyCache.set(cacheKey, entry);
  return entry;
}

export const simVerifier: EvidenceVerifier = {
  platform: 'sim',
  sniff: looksLikeSim,
  verify(evidence: Uint8Array, collateral: Collateral, _opts: VerifyOptions): Promise<Claims> {
    return Promise.resolve().then(() => {
      const ev = parseSimEvidence(evidence);
      const { key, fingerprint: fp } = rootKey(collateral);
      if (!verify('sha384', ev.signed, { key, dsaEncoding: 'ieee-p1363' }, ev.signature)) {
        throw new AttestationError('bad-signature', 'sim evidence signature does not verify with the simulation root key');
      }
      if (!equalBytes(fp, ev.rootKeyId)) throw new AttestationError('chain-untrusted', 'sim evidence names a different simulation root key');
      return {
        platform: 'sim',
        measurement: hex(ev.measurement),
        reportData: hex(ev.reportData),
        debug: ev.debug,
        tcbStatus: 'NotApplicable',
        details: {
          rootKeyFingerprint: hex(fp),
          version: ev.version,
          runId: ev.runId,
          timestamp: ev.timestamp.toISOString(),
          simulated: true,
        },
      };
    });
  },
};
