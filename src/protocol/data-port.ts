/**
 * Worker ↔ worker ciphertext transfers (docs/protocol.md §15): the data
 * port's wire format, and the messages the data flow adds to the sealed
 * execution channel (§10): the worker's data address in `ready`, the source
 * of an input in the sealed assignment, the run's revocation set
 * (`revoked`), and the consumer's report of each transfer (`transfer`).
 */
import { ASSIGN_FIELDS, ASSIGN_OPTIONAL, MASTER_TO_WORKER, WORKER_TO_MASTER, type MasterToWorker, type ReadyMsg, type WorkerToMaster } from './execution.js';
import { arrayOf, bool, int, literal, num, recordOf, shape, str, union } from './schema.js';

/** Where a worker's data port listens. */
export interface DataAddress {
  readonly host: string;
  readonly port: number;
}

/** The producer of an input ciphertext, named by the master in the sealed assignment. */
export interface DataSource extends DataAddress {
  /** The producing worker's slot: its data-port certificate must have subject `<run id>/<slot>`. */
  readonly slot: string;
  /** The id the producer offers the file under, when it is not the file's key (a host without the master's disk: an opaque path there). */
  readonly id?: string;
  /**
   * The master's copy is not at the file's key yet (a host without the
   * master's disk): if the pull fails, report it (`transfer`, `fallback`)
   * and wait for the master's `staged` message naming where it copied it.
   */
  readonly lazy?: boolean;
}

/** `ready` of an attested executor that opened a data port. */
export type DataReadyMsg = ReadyMsg & { readonly data?: DataAddress };

/** Master → worker: serial numbers of every run-CA certificate revoked so far (the whole set, not a delta). */
export interface RevokedMsg {
  readonly type: 'revoked';
  readonly serials: readonly string[];
}

/** Worker → master: how one input ciphertext of an attempt arrived (journalled by the master as `data-transfer`). */
export interface TransferMsg {
  readonly type: 'transfer';
  /** The attempt (`step[index]#attempt`). */
  readonly id: string;
  /** The file id (the master's path) as in `sealed.files`. */
  readonly file: string;
  /** The slot the master named as its source. */
  readonly from: string;
  /** `pulled`: from the producer's data port, hash checked; `fallback`: the pull failed, the master's copy was used. */
  readonly outcome: 'pulled' | 'fallback';
  readonly bytes: number;
  readonly ms: number;
  /** Why the pull failed (`fallback` only): a stable reason, e.g. `hash-mismatch`, `refused`, `connect`. */
  readonly reason?: string;
}

/**
 * Master → worker (§15.8): the answer to a `fallback` report of an input
 * whose source was `lazy`: the master copied its ciphertext to `path` on the
 * worker's host (checked against the recorded SHA-256 there before use), or
 * could not (`error`).
 */
export interface StagedMsg {
  readonly type: 'staged';
  /** The attempt. */
  readonly id: string;
  /** The file's key in the assignment. */
  readonly file: string;
  readonly path?: string;
  readonly error?: string;
}

/** §7.2: the worker asks for the run's sealed expression sandbox (once: the master answers one request per worker). */
export interface SandboxGetMsg {
  readonly type: 'sandbox-get';
}

/** §7.2: the run's sealed expression sandbox, base64; empty when the run has none. Its key and SHA-256 are in the executor bundle. */
export interface SandboxMsg {
  readonly type: 'sandbox';
  readonly sealed: string;
}

export type SealedMasterToWorker = MasterToWorker | RevokedMsg | StagedMsg | SandboxMsg;
export type SealedWorkerToMaster = WorkerToMaster | DataReadyMsg | TransferMsg | SandboxGetMsg;

/**
 * The data port, after the TLS 1.3 handshake: the client sends one line,
 * `{"type":"get","id":…,"sha256":…}`; the server answers one line,
 * `{"type":"ok","size":n}` followed by exactly n bytes of ciphertext and the
 * end of the stream, or `{"type":"refused","reason":…}` and the end.
 * One request per connection.
 */
export interface GetRequest {
  readonly type: 'get';
  readonly id: string;
  readonly sha256: string;
}

export type GetResponse = { readonly type: 'ok'; readonly size: number } | { readonly type: 'refused'; readonly reason: string };

/** The largest request or response line accepted (the rest of a longer line is not read). */
export const MAX_LINE = 4096;

// One spec per message type of the sealed execution channel (§10, §15) and of the data port.
const dataAddress = { host: str, port: int(0) };
const sealedPart = shape({
  files: recordOf(shape({ sha256: str, wrappedKey: str }, { source: shape({ ...dataAddress, slot: str }, { id: str, lazy: bool }) })),
  recipients: arrayOf(str),
}, { keyShare: str });

/** What an attested worker accepts from the master. */
export const validateSealedMasterToWorker = union<SealedMasterToWorker>({
  ...MASTER_TO_WORKER,
  assign: shape(ASSIGN_FIELDS, { ...ASSIGN_OPTIONAL, sealed: sealedPart }),
  revoked: shape({ serials: arrayOf(str) }),
  staged: shape({ id: str, file: str }, { path: str, error: str }),
  sandbox: shape({ sealed: str }),
});

/** What the master accepts from an attested worker. */
export const validateSealedWorkerToMaster = union<SealedWorkerToMaster>({
  ...WORKER_TO_MASTER,
  ready: shape({ pid: int(0), host: str }, { data: shape(dataAddress) }),
  transfer: shape({ id: str, file: str, from: str, outcome: literal('pulled', 'fallback'), bytes: num, ms: num }, { reason: str }),
  'sandbox-get': shape({}),
});

export const validateGetRequest = union<GetRequest>({ get: shape({ id: str, sha256: str }) });
export const validateGetResponse = union<GetResponse>({ ok: shape({ size: int(0) }), refused: shape({ reason: str }) });
