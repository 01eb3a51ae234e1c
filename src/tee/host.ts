/**
 * What the launchers share about the host: whether this machine has a
 * platform's device and toolchain (checked at start, never assumed), and the
 * unmeasured values of docs/protocol.md §3 as the JSON the provisioner parses.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

/** Whether `name` is an executable on PATH. */
export function onPath(name: string, pathVar = process.env['PATH'] ?? ''): boolean {
  return pathVar.split(':').some((d) => {
    if (d === '') return false;
    try {
      accessSync(path.join(d, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Null when every device exists and every tool is on PATH; otherwise one
 * sentence saying what this machine lacks for `what`.
 */
export function hostLacks(devices: readonly string[], tools: readonly string[], what: string): string | null {
  const missing = [...devices.filter((d) => !existsSync(path.join(deviceRoot(), d))), ...tools.filter((t) => !onPath(t)).map((t) => `${t} on PATH`)];
  return missing.length === 0 ? null : `${what} (this machine lacks ${missing.join(', ')})`;
}

/**
 * Where device files are looked for (default `/`): SEALFLOW_DEVICE_ROOT, for
 * runs with stand-in toolchains on machines without the hardware (the tests).
 * It changes only this start-time check; what is accepted is decided by the
 * evidence the master verifies, which no stand-in can make.
 */
export function deviceRoot(): string {
  const r = process.env['SEALFLOW_DEVICE_ROOT'];
  return r !== undefined && r !== '' ? r : '/';
}

/**
 * What a host with the hardware and toolchain still lacks in this version for
 * sgx-lkl: `sealflow run` builds, signs and ships gramine enclaves and
 * occlum images and boots cvm VMs only (docs/tee-platforms.md "sealflow run, per platform").
 */
export const RUN_NOT_WIRED = 'sealflow run support for this platform, which this version does not have yet: it builds and ships gramine enclaves and occlum images and boots cvm VMs only (sealflow tee plan generates, and the tests check, what this platform would run)';

/** The unmeasured values [address, slot, bundle] as unmeasured.json. */
export function unmeasuredJson(args: readonly string[], env: Readonly<Record<string, string>>): string {
  const [master = '', slot = '', bundle = ''] = args;
  return JSON.stringify({ version: 1, master, slot, bundle, ticket: env['SEALFLOW_TICKET'] ?? '' });
}
