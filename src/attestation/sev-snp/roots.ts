/**
 * The pinned AMD Root Keys (ARK), one per product, and the default ASK/ASVK +
 * ARK chains. SHA-256 fingerprints of the ARK certificates' DER, computed with
 * `openssl x509 -noout -fingerprint -sha256` from
 * shared/testdata/attestation/sev-snp/roots/ask_ark_*.pem (the same ARK heads
 * the VCEK and VLEK bundles of a product). A chain verifies only to these.
 */
import { pemToDers } from '../bytes.js';
import { AMD_CERT_CHAINS } from './amd-roots.js';
import type { Product } from './report.js';

export const PINNED_ARK_SHA256: Readonly<Record<Product, string>> = {
  // ARK-Milan, valid 2020-10-22 .. 2045-10-22
  Milan: '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd',
  // ARK-Genoa, valid 2022-01-26 .. 2047-01-26
  Genoa: '4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1',
  // ARK-Turin, valid 2023-05-15 .. 2048-05-15
  Turin: '1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a',
};

export const PRODUCTS: readonly Product[] = ['Milan', 'Genoa', 'Turin'];

/** The product whose pinned ARK has this fingerprint, if any. */
export function productOfArk(fingerprint: string): Product | undefined {
  return PRODUCTS.find((p) => PINNED_ARK_SHA256[p] === fingerprint);
}

/** The embedded ASK (vcek) or ASVK (vlek) + ARK chain of a product, as DER. */
export function defaultChain(product: Product, kind: 'vcek' | 'vlek'): Uint8Array[] {
  return pemToDers(AMD_CERT_CHAINS[product][kind]);
}
