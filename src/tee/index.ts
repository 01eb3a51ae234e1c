/** The registry of TEE platforms by name. Later platforms add one line each. */
import type { PlatformName, TeePlatform } from './platform.js';
import { nonePlatform } from './none/index.js';
import { simPlatformInfo } from './sim/index.js';

const PLATFORMS: Partial<Record<PlatformName, TeePlatform>> = { none: nonePlatform, sim: simPlatformInfo };

/** The platform, or null if this build does not implement it yet. */
export function platformByName(name: PlatformName): TeePlatform | null {
  return PLATFORMS[name] ?? null;
}
