/**
 * Enclave sizing for the SGX platforms (gramine, occlum, sgx-lkl), derived
 * from a step's `requirements` (threads, memory) and its inputs' sizes by the
 * written rules of docs/tee-platforms.md "Sizing". Enclave size and thread
 * slots are written into the manifest, so each distinct value is a distinct
 * MRENCLAVE the policy must list: both are rounded up to a small fixed set of
 * size classes. Every value may be overridden per deployment; a value that
 * cannot work is a SizingError before the run starts, never a crash inside
 * the enclave ("no available TCS pages left for a new thread").
 */

export type SgxLibOs = 'gramine' | 'occlum' | 'sgx-lkl';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/**
 * LibOS threads beside the application's. Gramine: at least 3 (IPC, async
 * events, TLS-handshake helper; the Bowtie2 study's 32-thread runs needed 3
 * more than the application). Occlum: 1 (its idle/timer thread; Occlum maps
 * every user thread to an SGX thread). SGX-LKL: its 2 LKL kernel threads.
 */
export const LIBOS_HELPER_THREADS: Readonly<Record<SgxLibOs, number>> = { gramine: 3, occlum: 1, 'sgx-lkl': 2 };
/** The executor's own threads: Node's main thread, 4 V8 platform workers, 4 libuv pool threads, 1 signal/inspector spare. */
export const EXECUTOR_THREADS = 10;
/** Thread-slot classes (TCS count); the largest is the most this version writes. */
export const THREAD_CLASSES: readonly number[] = [16, 32, 64, 128, 256];
/** Enclave-size classes: powers of two from 2 GiB to 512 GiB (the SGXv2 limit the study names). */
export const SIZE_CLASSES: readonly number[] = [2, 4, 8, 16, 32, 64, 128, 256, 512].map((g) => g * GiB);
/** Node's heap and code (the executor and the provisioner), a fixed estimate. */
export const NODE_FOOTPRINT = 1 * GiB;
/** Per task thread: its stack (8 MiB) and working buffers. */
export const PER_THREAD = 64 * MiB;
/** A step that declares no `memory`. */
export const DEFAULT_TASK_MEMORY = 256 * MiB;
/** The margin over the estimated footprint. */
export const MARGIN = 1.25;

export interface SizingInput {
  readonly libos: SgxLibOs;
  /** The step's `requirements.threads`. */
  readonly threads: number;
  /** The step's `requirements.memory`, bytes. */
  readonly memory?: number;
  /** The total size of the step's inputs, bytes. */
  readonly inputBytes: number;
  /** Scratch in enclave memory (tmpfs/ramfs: inputs and outputs count twice) or on an encrypted mount (not counted). */
  readonly scratch: 'memory' | 'encrypted';
  readonly edmm: boolean;
}

/** Per-deployment overrides (`enclaveSize`, `threadSlots`, `edmm` in sealflow.yaml). */
export interface SizingOverrides {
  readonly enclaveSize?: number;
  readonly threadSlots?: number;
  readonly edmm?: boolean;
}

export interface Sizing {
  readonly libos: SgxLibOs;
  readonly edmm: boolean;
  /** Without EDMM the enclave's fixed size; with EDMM its maximum. Bytes, a power of two. */
  readonly enclaveSize: number;
  /** TCS slots: without EDMM the most threads the enclave can ever run; with EDMM those preallocated (all needed ones, see docs). */
  readonly threadSlots: number;
  /** task + LibOS helpers + executor: the fewest slots that work. */
  readonly threadsNeeded: number;
  /** With EDMM: the memory committed at start (Occlum `user_space_size`), bytes. */
  readonly initialSize: number;
  /** The estimated footprint before the margin, bytes. */
  readonly footprint: number;
}

export class SizingError extends Error {}

/** "8G" for 8 GiB: the unit Gramine's `sgx.enclave_size` takes. */
export function gramineSize(bytes: number): string {
  return bytes % GiB === 0 ? `${bytes / GiB}G` : `${bytes / MiB}M`;
}
/** "8GB" for 8 GiB: Occlum's unit (binary, despite its name). */
export function occlumSize(bytes: number): string {
  return bytes % GiB === 0 ? `${bytes / GiB}GB` : `${bytes / MiB}MB`;
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** The footprint rule (docs/tee-platforms.md "Sizing"), bytes. */
export function footprint(i: Pick<SizingInput, 'threads' | 'memory' | 'inputBytes' | 'scratch'>): number {
  const data = i.scratch === 'memory' ? 2 * i.inputBytes : 0; // plaintext inputs + outputs of a similar size
  return NODE_FOOTPRINT + (i.memory ?? DEFAULT_TASK_MEMORY) + i.threads * PER_THREAD + data;
}

/** Derives the sizing of `i`, applying `o`; throws SizingError naming `where` for a value that cannot work. */
export function deriveSizing(i: SizingInput, o: SizingOverrides = {}, where = 'the step'): Sizing {
  if (!Number.isInteger(i.threads) || i.threads < 1) throw new SizingError(`${where}: threads must be a positive integer, not ${i.threads}`);
  if (!(i.inputBytes >= 0)) throw new SizingError(`${where}: the input size must be a non-negative number of bytes`);
  const edmm = o.edmm ?? i.edmm;
  const threadsNeeded = i.threads + LIBOS_HELPER_THREADS[i.libos] + EXECUTOR_THREADS;
  const fp = footprint(i);
  let threadSlots: number;
  if (o.threadSlots !== undefined) {
    if (!Number.isInteger(o.threadSlots) || o.threadSlots < threadsNeeded) {
      throw new SizingError(
        `${where}: threadSlots ${o.threadSlots} is fewer than the ${threadsNeeded} the step needs on ${i.libos} (${i.threads} task + ${LIBOS_HELPER_THREADS[i.libos]} LibOS helper + ${EXECUTOR_THREADS} executor threads); raise threadSlots or lower the step's threads`,
      );
    }
    threadSlots = o.threadSlots;
  } else {
    const c = THREAD_CLASSES.find((t) => t >= threadsNeeded);
    if (c === undefined) throw new SizingError(`${where}: ${threadsNeeded} thread slots are more than the largest class (${THREAD_CLASSES.at(-1)}); lower the step's threads or set threadSlots in the deployment`);
    threadSlots = c;
  }
  let enclaveSize: number;
  const floor = (i.memory ?? 0) + (i.scratch === 'memory' ? i.inputBytes : 0) + NODE_FOOTPRINT;
  if (o.enclaveSize !== undefined) {
    if (!isPow2(o.enclaveSize)) throw new SizingError(`${where}: enclaveSize ${o.enclaveSize} bytes is not a power of two, which ${i.libos} requires; use e.g. ${gramineSize(SIZE_CLASSES.find((s) => s >= o.enclaveSize!) ?? SIZE_CLASSES.at(-1)!)}`);
    if (o.enclaveSize < floor) {
      throw new SizingError(`${where}: enclaveSize ${gramineSize(o.enclaveSize)} is smaller than what must fit in it (${Math.ceil(floor / MiB)} MiB: inputs held in enclave memory, the step's memory and Node); raise enclaveSize or use scratch: encrypted`);
    }
    enclaveSize = o.enclaveSize;
  } else {
    const c = SIZE_CLASSES.find((s) => s >= fp * MARGIN);
    if (c === undefined) throw new SizingError(`${where}: the estimated footprint ${Math.ceil(fp / GiB)} GiB (with the ${MARGIN}× margin) exceeds the largest enclave (512 GiB); use scratch: encrypted or a cvm deployment`);
    enclaveSize = c;
  }
  // With EDMM, start with Node's share committed; the rest is added on demand up to enclaveSize.
  const initialSize = edmm ? (SIZE_CLASSES.find((s) => s >= NODE_FOOTPRINT * MARGIN) as number) : enclaveSize;
  return { libos: i.libos, edmm, enclaveSize, threadSlots, threadsNeeded, initialSize: Math.min(initialSize, enclaveSize), footprint: fp };
}

/** Parses a deployment's size override: an integer of bytes or "8G"/"8GiB"/"512M". */
export function parseSize(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  const m = typeof v === 'string' ? /^(\d+)\s*(K|M|G|T)(i?B)?$/i.exec(v.trim()) : null;
  if (!m) throw new SizingError(`${where}: ${JSON.stringify(v)} is not a size (write e.g. 8G, 512M or a number of bytes)`);
  const unit = { K: 2 ** 10, M: MiB, G: GiB, T: 2 ** 40 }[(m[2] as string).toUpperCase() as 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * unit;
}
