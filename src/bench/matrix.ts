/**
 * The benchmark's configuration matrix, as data: the native baseline, the
 * software configurations this build can run (platform `none`, `sim`), and
 * SecDATAVIEW's eight (SGX / SEV / hybrid × TEE active or inactive ×
 * encryption on or off), plus TDX and both SGX runtimes of the Bowtie2 study.
 *
 * Whether a configuration runs is decided here and only here: hardware is
 * detected from its device files, software support from what this build of
 * sealflow actually registers: its platforms, the values `sealflow run
 * --platform` accepts, which platforms can encrypt and which can run in
 * plain. Builds differ: in one, encryption follows the platform (attested
 * platforms encrypt, `none` never does); in a build with `sealflow run
 * --no-encrypt`, every run encrypts by default and `--no-encrypt` (platform
 * `none` only) gives the plain baseline. Both are probed, never assumed.
 * Nothing is ever estimated: a configuration that cannot run says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { LAUNCHABLE_PLATFORMS, platformByName } from '../tee/index.js';
import type { PlatformName } from '../tee/platform.js';

export type BenchPlatform = 'none' | 'sim' | 'sgx-gramine' | 'sgx-occlum' | 'sev-snp' | 'tdx' | 'hybrid';
export type Hardware = 'sgx' | 'sev-snp' | 'tdx';

export interface Configuration {
  readonly id: string;
  readonly label: string;
  /** `native` is the baseline without sealflow; every other one is a `sealflow run`. */
  readonly kind: 'native' | 'sealflow';
  readonly platform: BenchPlatform;
  readonly encryption: boolean;
  /** Whether the workers run inside an active hardware TEE (never true for none/sim). */
  readonly teeActive: boolean;
  /** The paper configuration it corresponds to, if any. */
  readonly paper?: string;
}

const sf = (id: string, label: string, platform: BenchPlatform, encryption: boolean, teeActive: boolean, paper?: string): Configuration => ({
  id, label, kind: 'sealflow', platform, encryption, teeActive, ...(paper !== undefined ? { paper } : {}),
});

export const MATRIX: readonly Configuration[] = [
  { id: 'native', label: 'native (no sealflow)', kind: 'native', platform: 'none', encryption: false, teeActive: false },
  sf('none-plain', 'sealflow, no TEE, no encryption', 'none', false, false),
  sf('none-enc', 'sealflow, no TEE, encryption', 'none', true, false),
  sf('sim-enc', 'sealflow, sim (not a TEE), encryption', 'sim', true, false),
  sf('sgx-inactive-plain', 'SGX machine, TEE inactive, no encryption', 'sgx-gramine', false, false, 'SGX Inactive without Data Encryption'),
  sf('sgx-inactive-enc', 'SGX machine, TEE inactive, encryption', 'sgx-gramine', true, false, 'SGX Inactive with Data Encryption'),
  sf('sgx-gramine-enc', 'SGX (Gramine) active, encryption', 'sgx-gramine', true, true, 'SGX Active with Data Encryption'),
  sf('sgx-occlum-enc', 'SGX (Occlum) active, encryption', 'sgx-occlum', true, true, 'SGX Active with Data Encryption'),
  sf('sev-inactive-plain', 'SEV-SNP machine, TEE inactive, no encryption', 'sev-snp', false, false, 'SEV Inactive without Data Encryption'),
  sf('sev-inactive-enc', 'SEV-SNP machine, TEE inactive, encryption', 'sev-snp', true, false, 'SEV Inactive with Data Encryption'),
  sf('sev-enc', 'SEV-SNP active, encryption', 'sev-snp', true, true, 'SEV Active with Data Encryption'),
  sf('tdx-enc', 'TDX active, encryption', 'tdx', true, true),
  sf('hybrid-inactive-enc', 'hybrid SGX + SEV-SNP, TEE inactive, encryption', 'hybrid', true, false, 'Hybrid Inactive with Data Encryption'),
  sf('hybrid-enc', 'hybrid SGX + SEV-SNP active, encryption', 'hybrid', true, true, 'Hybrid Active with Data Encryption'),
];

/** What this machine and this build offer; probed once, injectable for tests. */
export interface Capabilities {
  readonly hardware: Readonly<Record<Hardware, boolean>>;
  /** sealflow platforms this build implements (registered and accepted in run configurations). */
  readonly platforms: ReadonlySet<PlatformName>;
  /** Platforms `sealflow run --platform <name>` selects for local deployments (empty without the option). */
  readonly runPlatformOption: ReadonlySet<PlatformName>;
  /** Platforms that can run with every file encrypted. */
  readonly encrypting: ReadonlySet<PlatformName>;
  /** Platforms that can run without encryption. */
  readonly plain: ReadonlySet<PlatformName>;
  /** `sealflow run --no-encrypt` exists: runs encrypt by default, and a plain run must say `--no-encrypt`. */
  readonly noEncryptOption: boolean;
}

/** A KVM module parameter reads `Y` or `1` (e.g. kvm_amd `sev_snp`, kvm_intel `tdx`). */
function kvmParameter(module: string, name: string): boolean {
  try {
    return /^(Y|1)$/.test(readFileSync(`/sys/module/${module}/parameters/${name}`, 'utf8').trim());
  } catch {
    return false;
  }
}

/** What `sealflow run` of this build declares on its command line; probed by the CLI, which owns it (cli/commands/bench.ts `probeRunOptions`). */
export interface RunOptionsProbe {
  /** `--platform <name>` exists (it selects a platform this version launches, src/tee/index.ts). */
  readonly platform: boolean;
  /** `--no-encrypt` exists. */
  readonly noEncrypt: boolean;
}

export function detectCapabilities(run: RunOptionsProbe): Capabilities {
  const hasPlatformOption = run.platform;
  // The platforms this version launches workers on (src/tee/index.ts); the others are known but not launchable yet.
  const platforms = new Set<PlatformName>(LAUNCHABLE_PLATFORMS);
  // Platform cvm boots one confidential VM per worker on this machine (docs/tee-platforms.md "cvm"): what counts is the hypervisor's side.
  const kvm = existsSync('/dev/kvm');
  return {
    hardware: {
      sgx: existsSync('/dev/sgx_enclave'),
      'sev-snp': kvm && existsSync('/dev/sev') && kvmParameter('kvm_amd', 'sev_snp'),
      tdx: kvm && kvmParameter('kvm_intel', 'tdx'),
    },
    platforms,
    runPlatformOption: new Set(hasPlatformOption ? LAUNCHABLE_PLATFORMS.filter((n) => platforms.has(n)) : []),
    ...encryptionSupport(platforms, run.noEncrypt),
  };
}

/**
 * Which platforms run encrypted and which in plain. An attested platform (one
 * whose workers yield evidence) always encrypts. Platform `none` runs in plain
 * in a build without `--no-encrypt`; with it, `none` encrypts by default and
 * runs in plain with the flag.
 */
export function encryptionSupport(platforms: ReadonlySet<PlatformName>, noEncryptOption: boolean): Pick<Capabilities, 'encrypting' | 'plain' | 'noEncryptOption'> {
  const attested = [...platforms].filter((n) => platformByName(n)?.evidence !== null);
  const unattested = [...platforms].filter((n) => !attested.includes(n));
  return {
    encrypting: new Set(noEncryptOption ? [...attested, ...unattested] : attested),
    plain: new Set(unattested),
    noEncryptOption,
  };
}

/** The sealflow platform a configuration launches its workers with. */
export function launchPlatform(c: Configuration): PlatformName | 'hybrid' {
  if (!c.teeActive) return c.platform === 'sim' ? 'sim' : 'none';
  switch (c.platform) {
    case 'sgx-gramine': return 'gramine';
    case 'sgx-occlum': return 'occlum';
    case 'sev-snp': case 'tdx': return 'cvm';
    case 'hybrid': return 'hybrid';
    default: return c.platform;
  }
}

const NEEDS: Readonly<Record<BenchPlatform, readonly Hardware[]>> = {
  none: [], sim: [], 'sgx-gramine': ['sgx'], 'sgx-occlum': ['sgx'], 'sev-snp': ['sev-snp'], tdx: ['tdx'], hybrid: ['sgx', 'sev-snp'],
};
const DEVICE: Readonly<Record<Hardware, string>> = {
  sgx: 'SGX (/dev/sgx_enclave absent)', 'sev-snp': 'SEV-SNP (no /dev/kvm with /dev/sev and kvm_amd sev_snp=Y)', tdx: 'TDX (no /dev/kvm with kvm_intel tdx=Y)',
};

/** Why `c` cannot run here, or null if it can. */
export function notRunReason(c: Configuration, caps: Capabilities): string | null {
  if (c.kind === 'native') return null;
  const missing = NEEDS[c.platform].filter((h) => !caps.hardware[h]);
  if (missing.length > 0) return `not run: no ${missing.map((h) => DEVICE[h]).join(', no ')}`;
  const why: string[] = [];
  const p = launchPlatform(c);
  const launched = p === 'hybrid' ? (['gramine', 'cvm'] as const) : [p];
  for (const q of launched) if (!caps.platforms.has(q)) why.push(`platform ${q} is not implemented in this build`);
  const implemented = launched.filter((q) => caps.platforms.has(q));
  if (c.encryption && implemented.some((q) => !caps.encrypting.has(q))) {
    why.push(caps.encrypting.size > 0 ? `this build encrypts only on attested/sim platforms (${[...caps.encrypting].join(', ')}), not on ${p}` : 'this build of sealflow does not encrypt');
  }
  if (!c.encryption && implemented.some((q) => !caps.plain.has(q))) {
    why.push(`this build always encrypts on platform ${p}${caps.noEncryptOption ? ' (--no-encrypt is for platform none only)' : ' (no --no-encrypt)'}`);
  }
  return why.length > 0 ? `not run: ${why.join('; ')}` : null;
}

export interface PlannedConfiguration {
  readonly config: Configuration;
  /** null: it runs. */
  readonly notRun: string | null;
}

export function planMatrix(caps: Capabilities, matrix: readonly Configuration[] = MATRIX): PlannedConfiguration[] {
  return matrix.map((config) => ({ config, notRun: notRunReason(config, caps) }));
}
