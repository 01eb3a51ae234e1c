/**
 * One fuzz target: a parser or decoder an outsider can reach (docs/fuzzing.md).
 * The runner (test/fuzz/run.ts) feeds each target mutated copies of its seeds
 * (byte flips, truncations, insertions, deep nesting, huge numbers, long
 * strings) from a fixed PRNG seed. For every input, `run` must either return
 * (accepted) or throw an error for which `isOwnError` is true (refused with
 * the project's own error). Any other throw, a process crash, or a run longer
 * than the hang limit fails the test and saves the input under
 * `test/fuzz/crashes/<target>/`.
 */
export interface FuzzTarget {
  /** Short, unique, file-system safe: `yaml-workflow`, `age-header`, `channel-frames`. */
  readonly name: string;
  /** Valid (or interesting) inputs the mutations start from; at least one. */
  readonly seeds: () => readonly Uint8Array[] | Promise<readonly Uint8Array[]>;
  /** Parses / decodes / handles one input. Resolve = accepted; throw/reject = refused. */
  readonly run: (input: Uint8Array) => unknown | Promise<unknown>;
  /** True when a thrown value is one of the project's own, user-facing refusals. */
  readonly isOwnError: (err: unknown) => boolean;
  /** Optional per-input time limit in ms (default 2000). */
  readonly hangMs?: number;
}
