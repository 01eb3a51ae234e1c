/**
 * The one registry of TEE platforms: every platform sealflow knows, by name.
 * Platform names everywhere else (the run configuration, `--platform`, error
 * messages, the benchmarks) derive from it. A platform whose `launchNeeds` is
 * not null is known and checked but cannot start workers in this version.
 */
import type { PlatformName, TeePlatform } from './platform.js';
import { cvmPlatform } from './cvm/index.js';
import { graminePlatform } from './gramine/index.js';
import { nonePlatform } from './none/index.js';
import { occlumPlatform } from './occlum/index.js';
import { simPlatformInfo } from './sim/index.js';
import { sgxLklPlatform } from './sgx-lkl/index.js';

const PLATFORMS: Readonly<Record<PlatformName, TeePlatform>> = { none: nonePlatform, sim: simPlatformInfo, gramine: graminePlatform, occlum: occlumPlatform, cvm: cvmPlatform, 'sgx-lkl': sgxLklPlatform };

/** Every registered platform's name, in registry order. */
export const PLATFORM_NAMES: readonly PlatformName[] = Object.keys(PLATFORMS) as PlatformName[];

/** The platforms this version starts workers on (`launchNeeds` null). */
export const LAUNCHABLE_PLATFORMS: readonly PlatformName[] = PLATFORM_NAMES.filter((n) => PLATFORMS[n].launchNeeds === null);

export function isPlatformName(name: string): name is PlatformName {
  return Object.hasOwn(PLATFORMS, name);
}

/** The platform, or null if no platform has that name. */
export function platformByName(name: string): TeePlatform | null {
  return isPlatformName(name) ? PLATFORMS[name] : null;
}
