/** The software-only `sim` evidence type: format, producer, verifier. */
export { createSimEvidence, parseSimEvidence, SIM_FIELDS, SIM_LENGTH, type SimFields, type SimEvidence } from './format.js';
export { simVerifier } from './verifier.js';
