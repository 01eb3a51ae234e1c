/** SEV-SNP evidence: report parser, configfs-tsm reader, chain to the pinned AMD roots, verifier. */
export { snpVerifier } from './verifier.js';
export { parseReport, REPORT_FIELDS, REPORT_LENGTH, type SnpReport, type Product } from './report.js';
export { parseTsmJson, parseCertTable, tsmJsonFromParts, CERT_TABLE_GUIDS } from './tsm.js';
export { PINNED_ARK_SHA256 } from './roots.js';
