/** The shape of `bench/results/<timestamp>.json`: every raw run, and what was derived from it. */
import type { Capabilities, Configuration } from './matrix.js';
import type { Measurement } from './measure.js';
import type { Summary } from './stats.js';

export interface ConfigResult {
  readonly id: string;
  readonly runs: Measurement[];
  /** Over successful runs only; absent if none succeeded. */
  wall?: Summary;
  cpu?: Summary;
  maxProcessRssKiB?: Summary;
  treePeakRssKiB?: Summary;
  /** Median wall / native median wall, same case, same invocation. */
  overhead?: number;
  /** The first failure, if any run failed. */
  failed?: string;
}

export interface CaseResult {
  readonly example: string;
  readonly size: string;
  /** Threads given to the tools (dna-alignment); null where the example is single-threaded. */
  readonly threads: number | null;
  readonly configs: ConfigResult[];
  /** Set if the inputs could not be prepared. */
  prepareError?: string;
}

export interface BenchResults {
  readonly version: 1;
  readonly command: string;
  readonly startedAt: string;
  finishedAt: string;
  readonly machine: {
    readonly cores: number;
    readonly cpu: string;
    readonly memGiB: number;
    readonly node: string;
    readonly loadAvgStart: readonly number[];
    loadAvgEnd: readonly number[];
  };
  readonly runsPerConfig: number;
  readonly method: string;
  readonly capabilities: { hardware: Capabilities['hardware']; platforms: string[]; runPlatformOption: string[]; encrypting: string[]; plain?: string[]; noEncryptOption?: boolean };
  readonly matrix: readonly (Configuration & { notRun: string | null })[];
  readonly cases: CaseResult[];
}
