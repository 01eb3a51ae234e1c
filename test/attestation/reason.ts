/** For tests of single verification steps: the reason code `f` throws, or 'accepted'. */
import { AttestationError, type ReasonCode } from '../../src/attestation/verifier.js';

export function reasonOf(f: () => unknown): ReasonCode | 'accepted' {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof AttestationError) return e.reason;
    throw e;
  }
}
