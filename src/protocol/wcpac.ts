/**
 * The WCPAC provisioning messages (docs/protocol.md §4–§6), master side.
 * The provisioner speaks the same JSON lines without importing this file
 * (it must stay built-ins only); byte fields are base64, hashes hex.
 */
import { num, shape, str, union, type Check } from './schema.js';

/**
 * §3a: the provisioner's first message on every provisioning connection,
 * before the master sends anything: the slot it was launched for and that
 * slot's launch ticket (32 bytes, base64url: 43 characters).
 */
export interface TicketMsg {
  readonly type: 'ticket';
  readonly slot: string;
  readonly ticket: string;
}

/** §3a: the ticket message's frame limit. Nothing larger is read from a peer without a ticket. */
export const MAX_FRAME_TICKET = 256;

const slotName: Check = (v) => (typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(v) ? null : { at: '', what: 'is not a slot name (letters, digits, _ . -; at most 128)' });
const ticketText: Check = (v) => (typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v) ? null : { at: '', what: 'is not a launch ticket (43 base64url characters)' });

/** §3a: the shape of the ticket message. */
export const validateTicket = union<TicketMsg>({ ticket: shape({ slot: slotName, ticket: ticketText }) });

/** §4: the master's first message on every provisioning connection. */
export interface HelloMsg {
  readonly type: 'hello';
  readonly version: 1;
  readonly runId: string;
  /** 32 random bytes, base64. */
  readonly challenge: string;
  /** SPKI DER of the master signing key, base64. */
  readonly masterKey: string;
  /** The master's clock when it sent the hello (ms since the epoch): the provisioner names the skew if its own is too far off (§4). */
  readonly time: number;
}

/** §6: the bundle key and client certificate, only after the evidence verified. */
export interface ProvisionedMsg {
  readonly type: 'provisioned';
  readonly clientCert: string;
  readonly bundleSha256: string;
  readonly wrappedKey: string;
  readonly signature: string;
  /** The executor port (§9) on the same host, when there is one. */
  readonly execPort?: number;
}

/** §6: no evidence, no keys. */
export interface RefusedMsg {
  readonly type: 'refused';
  readonly reason: string;
}

export type BrokerToProvisioner = HelloMsg | ProvisionedMsg | RefusedMsg;

/** §5: evidence and the public keys it binds. */
export interface AttestMsg {
  readonly type: 'attest';
  readonly slot: string;
  readonly challenge: string;
  readonly evidence: string;
  /** 32 raw bytes, base64. */
  readonly x25519: string;
  /** SPKI DER, base64. */
  readonly identity: string;
}

/** §4: the provisioner's clock is too far from the master's (the hello's `time`); it sends no evidence. */
export interface ClockSkewMsg {
  readonly type: 'clock-skew';
  /** The provisioner's clock (ms since the epoch) when it read the hello. */
  readonly time: number;
}

export type ProvisionerToBroker = AttestMsg | ClockSkewMsg;

/**
 * docs/protocol.md "Framing and limits": the largest frame a provisioner
 * may send before it is attested. The largest real evidence (an SEV-SNP
 * configfs-tsm report with its certificate table, ~10 KiB) is ~14 KiB in
 * base64; this leaves room for four times that and no more.
 */
export const MAX_FRAME_PROVISIONING = 64 * 1024;

/** §5: the shape of the one message a provisioner sends. */
export const validateProvisionerToBroker = union<ProvisionerToBroker>({
  attest: shape({ slot: str, challenge: str, evidence: str, x25519: str, identity: str }),
  'clock-skew': shape({ time: num }),
});
