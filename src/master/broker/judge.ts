/**
 * The attestation decision (docs/protocol.md §6, steps 1–6): everything the
 * master checks before any key leaves it. Throws a BrokerRefusal with the
 * first failing reason; returns what was verified.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import type { AttestationPolicy } from '../../attestation/index.js';
import { AttestationError, type Claims, type Collateral, type Platform } from '../../attestation/verifier.js';
import type { AttestMsg } from '../../protocol/wcpac.js';
import type { PlatformName } from '../../tee/platform.js';
import { reportData } from '../../protocol/wcpac-crypto.js';
import type { Challenges } from './challenges.js';
import { BrokerRefusal, type ExpectedSlot } from './types.js';

/** The evidence platforms each deployment platform may produce. */
export const EVIDENCE_FOR: Readonly<Record<PlatformName, readonly Platform[]>> = {
  none: [],
  sim: ['sim'],
  gramine: ['sgx'],
  occlum: ['sgx'],
  cvm: ['sev-snp', 'tdx'],
  'sgx-lkl': ['sgx'],
};

const REAL: readonly PlatformName[] = ['gramine', 'occlum', 'cvm', 'sgx-lkl'];
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface JudgeContext {
  readonly runId: string;
  readonly policy: AttestationPolicy;
  readonly collateral: Collateral;
  readonly challenges: Challenges;
  readonly expected: ReadonlyMap<string, ExpectedSlot>;
  readonly attested: ReadonlySet<string>;
  readonly now: () => Date;
}

export interface Verified {
  readonly slot: ExpectedSlot;
  /** null for platform `none`: nothing was attested. */
  readonly claims: Claims | null;
  /** Platform `none`: why keys may go to this worker without evidence (journalled). */
  readonly unattested?: string;
  readonly challenge: Buffer;
  readonly x25519: Buffer;
  readonly identitySpki: Buffer;
}

function b64(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new BrokerRefusal('malformed', `${what} is not base64`);
  return Buffer.from(v, 'base64');
}

function checkKeys(x25519: Buffer, identitySpki: Buffer): void {
  if (x25519.length !== 32) throw new BrokerRefusal('bad-public-key', 'the X25519 key is not 32 bytes');
  try {
    const pub = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, x25519]), format: 'der', type: 'spki' });
    const s = diffieHellman({ privateKey: generateKeyPairSync('x25519').privateKey, publicKey: pub });
    if (s.every((b) => b === 0)) throw new Error('low order');
  } catch {
    throw new BrokerRefusal('bad-public-key', 'the X25519 key is a low-order or invalid point');
  }
  let id;
  try {
    id = createPublicKey({ key: identitySpki, format: 'der', type: 'spki' });
  } catch {
    throw new BrokerRefusal('bad-public-key', 'the identity key is not SPKI DER');
  }
  if (id.asymmetricKeyType !== 'ec' || id.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new BrokerRefusal('bad-public-key', 'the identity key is not ECDSA P-256');
}

/**
 * §6a: platform `none` has no evidence. Its worker gets keys only on a
 * `local` deployment (the master's own machine, which is trusted), or where
 * the deployment's policy says `allowUnattested: true`. Returns why.
 */
function unattestedAllowed(ctx: JudgeContext, slot: ExpectedSlot, evidence: Buffer): string {
  if (evidence.length > 0) throw new BrokerRefusal('platform-mismatch', `deployment ${slot.deployment} is platform none, which produces no evidence, but slot ${slot.slot} sent some`);
  if (slot.connector === 'local') return `platform none on local deployment ${slot.deployment} (the master's own machine): keys released without evidence; no TEE`;
  if ((slot.policy ?? ctx.policy).allowUnattested === true) return `platform none on deployment ${slot.deployment} (connector ${slot.connector}): the policy allows unattested workers (allowUnattested: true); keys released without evidence; no TEE`;
  throw new BrokerRefusal('unattested-not-allowed', `deployment ${slot.deployment} is platform none on connector ${slot.connector}: keys go without evidence only to local deployments, or under a policy with allowUnattested: true`);
}

export async function judge(ctx: JudgeContext, msg: AttestMsg, connection: number): Promise<Verified> {
  const challenge = b64(msg.challenge, 'challenge');
  ctx.challenges.consume(challenge, connection);
  const slot = typeof msg.slot === 'string' ? ctx.expected.get(msg.slot) : undefined;
  if (!slot) throw new BrokerRefusal('slot-unknown', `slot ${String(msg.slot)} was not launched in run ${ctx.runId}`);
  if (ctx.attested.has(slot.slot)) throw new BrokerRefusal('slot-taken', `slot ${slot.slot} is already attested`);
  const x25519 = b64(msg.x25519, 'x25519');
  const identitySpki = b64(msg.identity, 'identity');
  checkKeys(x25519, identitySpki);
  const evidence = b64(msg.evidence, 'evidence');
  if (slot.platform === 'none') return { slot, claims: null, challenge, x25519, identitySpki, unattested: unattestedAllowed(ctx, slot, evidence) };
  // The verifiers (pkijs, asn1js: ~0.9 MB of code) load with the first evidence, not with every run's start.
  const { detectEvidence, verifyEvidence } = await import('../../attestation/index.js');
  const detected = detectEvidence(evidence)?.platform;
  if (detected === 'sim' && REAL.includes(slot.platform)) {
    throw new BrokerRefusal('simulated-on-real-platform', `deployment ${slot.deployment} is configured for platform ${slot.platform}, but slot ${slot.slot} sent simulated evidence`);
  }
  if (detected === 'sim' && slot.connector !== 'local' && (slot.policy ?? ctx.policy).allowRemoteSimulation !== true) {
    throw new BrokerRefusal('simulated-not-local', `deployment ${slot.deployment} uses connector ${slot.connector}; sim evidence is accepted only from local deployments, or under a policy with allowRemoteSimulation: true (sim is NOT a TEE)`);
  }
  if (detected !== undefined && !EVIDENCE_FOR[slot.platform].includes(detected)) {
    throw new BrokerRefusal('platform-mismatch', `deployment ${slot.deployment} is platform ${slot.platform}, which does not produce ${detected} evidence`);
  }
  const expectedReportData = reportData(ctx.runId, slot.slot, challenge, x25519, identitySpki);
  let claims: Claims;
  try {
    claims = await verifyEvidence(evidence, ctx.collateral, slot.policy ?? ctx.policy, {
      now: ctx.now(),
      expectedReportData,
      ...(detected !== undefined ? { platform: detected } : {}),
    });
  } catch (err) {
    if (err instanceof AttestationError) throw new BrokerRefusal(err.reason, err.message);
    throw err;
  }
  if (claims.platform === 'sim' && claims.details['runId'] !== ctx.runId) {
    throw new BrokerRefusal('run-id-mismatch', `the sim evidence is for run ${String(claims.details['runId'])}, not ${ctx.runId}`);
  }
  return { slot, claims, challenge, x25519, identitySpki };
}
