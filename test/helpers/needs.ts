/**
 * The one way a test says it needs a system package: `needs(['bowtie2',
 * 'samtools'])` is false when everything is installed, otherwise the reason
 * to skip, `SKIPPED LOUDLY: samtools not installed (apt-get install -y
 * samtools)`, which is also printed to stderr so that a skip is never silent.
 *
 * Under `SEALFLOW_REQUIRE_ALL=1` (set by `.ci/run`) a missing package is a
 * failure instead: `needs` registers a failing test naming what is missing,
 * and the tests that needed it still skip (they could only fail less
 * clearly). `scripts/setup.sh` installs every package named here; a test
 * checks that the two lists agree.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

/** How to tell that one Debian package is installed. */
interface Probe {
  /** Programs that must be on PATH. */
  readonly commands?: readonly string[];
  /** Files that must exist. */
  readonly files?: readonly string[];
  /** What the package is for, in the skip message. */
  readonly why: string;
}

/** Every system package a test may need, by its Debian name. */
export const PACKAGES = {
  age: { commands: ['age', 'age-keygen'], why: 'interop with the age tool' },
  bowtie2: { commands: ['bowtie2-build', 'bowtie2-align-s'], why: 'the dna-alignment example' },
  'bowtie2-examples': { files: ['/usr/share/doc/bowtie2/examples/reference/lambda_virus.fa.gz', '/usr/share/doc/bowtie2/examples/reads/reads_1.fq.gz'], why: 'the dna-alignment example data' },
  samtools: { commands: ['samtools'], why: 'the dna-alignment example' },
  time: { files: ['/usr/bin/time'], why: 'peak memory in the benchmarks (GNU time)' },
  'openssh-client': { commands: ['ssh', 'ssh-keygen'], why: 'the test hosts of the connector tests' },
  'openssh-server': { files: ['/usr/sbin/sshd'], why: 'the test hosts of the connector tests (one sshd per network namespace)' },
  'slurm-wlm': { files: ['/usr/sbin/slurmctld', '/usr/sbin/slurmd'], commands: ['sbatch', 'scancel', 'sinfo'], why: 'the two-node Slurm cluster of the connector tests' },
  munge: { files: ['/usr/sbin/munged'], why: 'Slurm authentication in the test cluster' },
  cwltool: { commands: ['cwltool'], why: 'the CWL reference runner, compared beside sealflow' },
  'python3-schema-salad': { files: ['/usr/lib/python3/dist-packages/schema_salad/__init__.py'], why: 'cwltest, the CWL conformance driver' },
  'python3-junit.xml': { files: ['/usr/lib/python3/dist-packages/junit_xml/__init__.py'], why: 'cwltest, the CWL conformance driver' },
  'python3-defusedxml': { files: ['/usr/lib/python3/dist-packages/defusedxml/__init__.py'], why: 'cwltest, the CWL conformance driver' },
  chromium: { commands: ['chromium'], why: 'the run report opened in headless Chromium' },
  'python3-rdflib': { files: ['/usr/lib/python3/dist-packages/rdflib/__init__.py'], why: 'the RO-Crate export parsed as JSON-LD' },
} as const satisfies Record<string, Probe>;

export type SystemPackage = keyof typeof PACKAGES;

/** Where to look: PATH and a file test (the real ones by default; tests of this helper pass their own). */
export interface Environment {
  readonly path: string;
  readonly exists: (file: string) => boolean;
}

const realEnvironment = (): Environment => ({ path: process.env['PATH'] ?? '', exists: (f) => fs.existsSync(f) });

function onPath(command: string, env: Environment): boolean {
  return env.path.split(path.delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The packages of `wanted` that are not installed, in the order given. */
export function missingPackages(wanted: readonly SystemPackage[], env: Environment = realEnvironment()): SystemPackage[] {
  return wanted.filter((name) => {
    const p: Probe = PACKAGES[name];
    return (p.commands ?? []).some((c) => !onPath(c, env)) || (p.files ?? []).some((f) => !env.exists(f));
  });
}

/** The skip message for these missing packages (never empty). */
export function skipMessage(missing: readonly SystemPackage[]): string {
  const what = missing.map((m) => `${m} (${PACKAGES[m].why})`).join(', ');
  return `SKIPPED LOUDLY: ${what} not installed (apt-get install -y ${missing.join(' ')}; scripts/setup.sh installs everything)`;
}

/** True when `SEALFLOW_REQUIRE_ALL=1`: a missing package fails the suite instead of skipping. */
export const requireAll = (): boolean => process.env['SEALFLOW_REQUIRE_ALL'] === '1';

const reported = new Set<string>();

/**
 * False when every package is installed; otherwise the reason to skip (for
 * `test(name, { skip: needs([...]) }, fn)`), printed to stderr. Under
 * `SEALFLOW_REQUIRE_ALL=1` it also registers a failing test naming them.
 */
export function needs(wanted: readonly SystemPackage[], env: Environment = realEnvironment()): false | string {
  const missing = missingPackages(wanted, env);
  if (missing.length === 0) return false;
  const message = skipMessage(missing);
  if (reported.has(message)) return message; // said once per test file is loud enough
  reported.add(message);
  process.stderr.write(`\n*** ${message} ***\n\n`);
  if (requireAll()) {
    test(`SEALFLOW_REQUIRE_ALL=1 requires ${missing.join(', ')}`, () => {
      throw new Error(`required system packages are missing: ${missing.join(', ')}. Install them: apt-get install -y ${missing.join(' ')} (scripts/setup.sh does), or unset SEALFLOW_REQUIRE_ALL to let these tests skip`);
    });
  }
  return message;
}
