/**
 * The signed run receipt (docs/protocol.md §14): what the master attests to
 * the data owner about one successful run. Version 2 (version 1, without
 * `tools`, is still read: §14.7). Everything in it is
 * public to whoever holds the results: ids, hashes, claims and statements —
 * never a key, an identity, or a plain hash of plaintext input.
 *
 * The file `receipt.json` is a `SignedReceipt`, written in canonical form
 * (canonical.ts); the signature covers `lp(RECEIPT_DOMAIN) ‖ canonical(receipt)`.
 */

export const RECEIPT_FORMAT = 'sealflow-receipt';
/** The version this sealflow writes. */
export const RECEIPT_VERSION = 2;
/** Versions this sealflow reads: 1 (no `tools`), 2. */
export const READABLE_VERSIONS: readonly number[] = [1, 2];
export type ReceiptVersion = 1 | 2;
/** Domain separation of the signed message (signature.ts); names the signing scheme, not the body's version (that is signed inside). */
export const RECEIPT_DOMAIN = 'sealflow-receipt-v1';
/** The file written beside the results. */
export const RECEIPT_FILE = 'receipt.json';

export const NO_TEE = 'no TEE: platform none ran this worker without a TEE; nothing was attested, and any key it received was released without evidence';
export const SIM_NOT_A_TEE = 'simulated, not a TEE: platform sim is a software stand-in; nothing protected this worker from its host, and its scratch space was not protected memory (its host could read it)';
export const PLAIN_INPUT = 'not encrypted: this run read its inputs in plaintext on the master\'s machine; the receipt records no hash of plaintext';

/** Where a worker ran, as the receipt states it. */
export type WorkerTee = 'none' | 'simulated' | 'attested' | 'unknown';

export interface ReceiptClaims {
  readonly platform: string;
  readonly measurement: string;
  readonly tcbStatus: string;
  readonly debug: boolean;
  /** A few identifying fields of the evidence (claims.ts), strings and numbers only. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface ReceiptWorker {
  readonly id: string;
  readonly deployment: string;
  readonly connector: string;
  readonly platform: string;
  readonly host: string;
  /** The batch job the worker ran in (connector `slurm`: Slurm's job id); absent for other connectors and in older receipts. */
  readonly job?: string;
  readonly tee: WorkerTee;
  /** "no TEE", "simulated, not a TEE", or what the evidence showed. */
  readonly statement: string;
  readonly claims?: ReceiptClaims;
  /** SHA-256 fingerprints of the worker's public keys (as journalled by the broker). */
  readonly keyFingerprints?: { readonly x25519: string; readonly identity: string };
  /** The worker was declared dead and its certificate revoked (reason). */
  readonly revoked?: string;
}

export interface ReceiptInput {
  /** Input port, `name` or `name[i]` for an element of an array. */
  readonly name: string;
  /** Basename of the file as given (no directories). */
  readonly file: string;
  readonly encrypted: boolean;
  /** SHA-256 of the age ciphertext; absent for plaintext inputs. */
  readonly ciphertextSha256?: string;
  readonly note?: string;
}

export interface ReceiptKeyRelease {
  readonly worker: string;
  readonly step: string;
  readonly decision: 'released' | 'refused';
  /** File ids and their ciphertext SHA-256: which keys went where, never the keys. */
  readonly files?: readonly { readonly id: string; readonly sha256: string }[];
  readonly reason?: string;
  readonly simulated?: boolean;
}

export interface ReceiptAttestationRefusal {
  readonly slot: string;
  readonly reason: string;
}

export interface ReceiptOutput {
  /** Output port, `name`, `name[i]`, or `name/relative/path` inside a directory output. */
  readonly port: string;
  /** Path relative to the output directory, `/`-separated. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** The file is an age file (its SHA-256 is of ciphertext). */
  readonly encrypted: boolean;
}

/** A program a command step ran (docs/protocol.md §10.3, §14.7). */
export interface ReceiptTool {
  /** The name the command used (for a pin: the run configuration's key). */
  readonly tool: string;
  /** The resolved absolute file the worker hashed. */
  readonly path: string;
  readonly sha256: string;
  /** Checked against the run configuration's pin before exec (and equal to it: the step succeeded); false: recorded only. */
  readonly pinned: boolean;
}

/** The tools of one step instance, from the attempt whose outputs the run used. */
export interface ReceiptStepTools {
  readonly step: string;
  /** The instance: 0 for a step that is not scattered, else the scatter element (as journalled). */
  readonly index: number;
  readonly attempt: number;
  readonly tools: readonly ReceiptTool[];
}

/** Which worker ran the attempt of a step instance whose outputs the run used (its entry in `workers` says host or job, platform and evidence). */
export interface ReceiptStepRun {
  readonly step: string;
  readonly index: number;
  readonly attempt: number;
  readonly worker: string;
}

export interface Receipt {
  readonly format: typeof RECEIPT_FORMAT;
  /** RECEIPT_VERSION when written by this sealflow; 1 for older receipts. */
  readonly version: ReceiptVersion;
  readonly run: {
    readonly id: string;
    readonly name: string;
    readonly state: 'succeeded';
    /** ISO 8601, UTC. */
    readonly startedAt: string;
    readonly finishedAt: string;
    /** Master processes that worked on the run (1 + resumes). */
    readonly sessions: number;
  };
  /** The pin (SHA-256 of the SPKI) of the master signing key that signed this receipt. */
  readonly master: { readonly pin: string };
  readonly workflow: { readonly file: string; readonly sha256: string };
  /** SHA-256 of the attestation policy file, or null (no file: the built-in local policy, or no attestation). */
  readonly policy: { readonly sha256: string | null; readonly note?: string };
  readonly bundle: {
    /** SHA-256 of the run's bundled TypeScript tasks, or null (no task steps). */
    readonly tasksSha256: string | null;
    /** SHA-256 of the encrypted executor bundle sent to attested workers, or null (no attested worker). */
    readonly executorSha256: string | null;
  };
  /** Data was encrypted in this run (some worker ran on an attested or simulated platform). */
  readonly encrypted: boolean;
  readonly inputs: readonly ReceiptInput[];
  readonly workers: readonly ReceiptWorker[];
  readonly attestationRefusals: readonly ReceiptAttestationRefusal[];
  readonly keyReleases: readonly ReceiptKeyRelease[];
  readonly outputs: readonly ReceiptOutput[];
  /**
   * Version 2: per step instance that ran a command on a fixed PATH or with
   * pins, the programs it ran with their SHA-256 and whether they were pinned
   * (§14.7). Absent in version 1 receipts, present (maybe empty) from 2 on.
   */
  readonly tools?: readonly ReceiptStepTools[];
  /**
   * Per step instance, the worker that ran the attempt whose outputs the run
   * used (in the order the instances succeeded). Optional: receipts written
   * before it have none, and verify as before.
   */
  readonly steps?: readonly ReceiptStepRun[];
  /** Output ports that are not files (strings, numbers, JSON): named, not hashed. */
  readonly values: readonly string[];
  /** Plain sentences for people: what protected this run and what did not. */
  readonly statements: readonly string[];
}

export interface ReceiptSignature {
  readonly algorithm: 'ECDSA-P256-SHA256';
  /** IEEE P1363 r‖s, as every master signature (docs/protocol.md §2). */
  readonly encoding: 'ieee-p1363';
  /** SPKI DER of the signing public key, base64. */
  readonly publicKey: string;
  readonly value: string;
}

export interface SignedReceipt {
  readonly receipt: Receipt;
  readonly signature: ReceiptSignature;
}
