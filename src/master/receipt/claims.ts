/**
 * The subset of evidence details a receipt (and the broker's journal) keeps:
 * fields that identify what ran and on which TCB, as strings and numbers —
 * never report data, keys or certificates.
 */
import type { Claims } from '../../attestation/verifier.js';

type Flat = Record<string, string | number | boolean>;

export function claimsDetails(c: Claims): Flat {
  const d: Flat = {};
  const put = (k: string, v: unknown) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') d[k] = v;
  };
  switch (c.platform) {
    case 'sim':
      put('rootKeyFingerprint', c.details.rootKeyFingerprint);
      break;
    case 'sev-snp':
      put('product', c.details.product);
      put('guestSvn', c.details.guestSvn);
      put('vmpl', c.details.vmpl);
      put('hostData', c.details.hostData);
      put('policy', c.details.policy.raw);
      put('reportedTcb', c.details.reportedTcb.raw);
      break;
    case 'tdx':
      put('fmspc', c.details.fmspc);
      put('mrConfigId', c.details.mrConfigId);
      put('mrOwner', c.details.mrOwner);
      c.details.rtmr.forEach((r, i) => put(`rtmr${i}`, r));
      break;
    case 'sgx':
      put('fmspc', c.details.fmspc);
      put('mrSigner', c.details.mrSigner);
      put('isvProdId', c.details.isvProdId);
      put('isvSvn', c.details.isvSvn);
      break;
  }
  return d;
}
