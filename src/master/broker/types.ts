/**
 * The key broker's records (docs/protocol.md §6, §8): slots it expects,
 * workers it attested, and the decisions it journals. Decisions carry ids,
 * fingerprints and claims — never key bytes.
 */
import type { AttestationPolicy } from '../../attestation/policy.js';
import type { Claims, Collateral } from '../../attestation/verifier.js';
import type { ConnectorName } from '../../connectors/connector.js';
import type { PlatformName } from '../../tee/platform.js';
import type { TransferMsg } from '../../protocol/data-port.js';

/** A worker slot the master launched and expects to attest. */
export interface ExpectedSlot {
  readonly slot: string;
  readonly deployment: string;
  readonly connector: ConnectorName | (string & {});
  readonly platform: PlatformName;
  /** The deployment's own policy (its `policy:` file), else the broker's. */
  readonly policy?: AttestationPolicy;
  /** Where its workers read inputs another worker produced (docs/protocol.md §15.7): `direct` (the producer's data port; default) or `master` (the master's copy). */
  readonly transfers?: 'direct' | 'master';
  /** The deployment's vendor collateral (its `collateral:` file), else the broker's. */
  readonly collateral?: Collateral;
  /** Recorded evidence: judged as of this time (its `verifyAt:`); its decisions are journalled `recorded: true`. */
  readonly verifyAt?: Date;
}

export interface AttestedWorker extends ExpectedSlot {
  /** null: platform `none`, admitted without evidence (see `unattested`). */
  readonly claims: Claims | null;
  /** Platform `none`: why it was admitted without evidence. */
  readonly unattested?: string;
  /** The key-receiving key, 32 raw bytes. */
  readonly x25519: Buffer;
  readonly identitySpki: Buffer;
  readonly clientCertDer: Uint8Array;
  /** The epoch in which it was attested; a dead worker's epoch is closed. */
  readonly epoch: number;
  alive: boolean;
}

/** The claims as journalled (no report data bytes beyond their hex, no keys). */
export interface ClaimsSummary {
  readonly platform: string;
  readonly measurement: string;
  readonly debug: boolean;
  readonly tcbStatus: string;
  readonly simulated: boolean;
  /** Identifying evidence fields for the receipt (receipt/claims.ts). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export type BrokerDecision =
  | {
      readonly type: 'attestation';
      readonly decision: 'accepted' | 'refused';
      readonly slot?: string;
      readonly deployment?: string;
      readonly reason?: string;
      readonly message?: string;
      readonly claims?: ClaimsSummary;
      /** SHA-256 fingerprints (hex) of the worker's public keys. */
      readonly keys?: { readonly x25519: string; readonly identity: string };
      readonly clientCertSerial?: string;
      readonly bundleSha256?: string;
      readonly warning?: string;
      /** Platform `none`: admitted without evidence, and why that was allowed. */
      readonly unattested?: string;
      /** The evidence was judged against recorded collateral at a recorded time (replayed, not live hardware). */
      readonly recorded?: true;
    }
  | {
      readonly type: 'key-release';
      readonly decision: 'released' | 'refused';
      readonly worker: string;
      readonly step: string;
      readonly reason?: string;
      readonly message?: string;
      /** File ids and their ciphertext SHA-256: which keys went where, never the keys. */
      readonly files?: readonly { readonly id: string; readonly sha256: string }[];
      readonly simulated?: boolean;
      /** Released to a platform `none` worker without evidence, and why that was allowed. */
      readonly unattested?: string;
    }
  | { readonly type: 'worker-revoked'; readonly worker: string; readonly epoch: number; readonly reason: string }
  | {
      /** An attempt's reported output broke the output rules (docs/protocol.md §16): nothing of that message was recorded. */
      readonly type: 'report-refused';
      readonly worker: string;
      /** The attempt (`step[index]#attempt`). */
      readonly step: string;
      /** Stable: `output-outside`, `output-symlink`, `output-copied-file-key`, … */
      readonly reason: string;
      readonly message: string;
      /** True: a forgery, and the worker was revoked; false: e.g. the file vanished (the host, not necessarily the worker). */
      readonly forged: boolean;
    }
  | ({
      /** How a worker obtained an input ciphertext that another worker produced (§15): its own `transfer` report. */
      readonly type: 'data-transfer';
      readonly worker: string;
      readonly step: string;
    } & Omit<TransferMsg, 'type' | 'id'>)
  | {
      /** The run secrets (docs/protocol.md §13.2): created for a new encrypted run, or restored on --resume. Ids only. */
      readonly type: 'run-secrets';
      readonly decision: 'created' | 'restored';
      /** In the run directory. */
      readonly file: string;
      readonly runRecipient: string;
      readonly hashKeyId: string;
      /** On resume: ciphertext hashes restored from the journal, and earlier successes not reused (ciphertext missing or changed). */
      readonly restoredHashes?: number;
      readonly notReused?: readonly string[];
    }
  | { readonly type: 'exec-connection'; readonly decision: 'accepted' | 'refused'; readonly worker?: string; readonly reason?: string; readonly message?: string }
  | {
      /**
       * A message or frame refused by a channel's framing or schema (docs/protocol.md "Framing and limits"): its connection was closed.
       * From an authenticated peer (`worker`) every refusal; from unauthenticated peers at most one per interval, with how many
       * others there were since the last one (`suppressed`) and in all (`total`).
       */
      readonly type: 'protocol-refusal';
      readonly channel: 'provisioning' | 'execution';
      readonly worker?: string;
      readonly reason: string;
      readonly message: string;
      readonly suppressed?: number;
      readonly total?: number;
    };

export type DecisionSink = (d: BrokerDecision) => void;

/** A stable refusal reason with a message for people. */
export class BrokerRefusal extends Error {
  override readonly name = 'BrokerRefusal';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
