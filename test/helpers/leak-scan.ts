/**
 * Scanning a test host's disk for a canary. A host's home is its own, but
 * its /tmp and /dev/shm are this machine's (shared with every other test and
 * program here: reading them whole is slow and reads others' files), so
 * there only what changed since a marker was touched is read.
 */
import type { Host } from './hosts.js';

/** Where the marker lives on each host (its own home). */
export const SCAN_MARKER = '~/.sf-scan-since';

/** Touches the marker on each host: later scans read /tmp and /dev/shm files changed after this. */
export async function markScanStart(hosts: readonly Host[]): Promise<void> {
  await Promise.all(hosts.map((h) => h.exec(`touch ${SCAN_MARKER}`)));
}

/**
 * Shell code printing the files whose content holds the fixed string in the
 * shell variable `p` (set it first, e.g. built in pieces so that no command
 * line of the scan holds it): every file of the home, and the files of /tmp
 * and /dev/shm changed since the marker.
 */
export const SCAN_FILES_FOR_P = `{ find ~ -xdev -type f; find /tmp /dev/shm -xdev -type f -newer ${SCAN_MARKER}; } 2>/dev/null | tr '\\n' '\\0' | xargs -0 -r grep -lsF --binary-files=text -e "$p" --; true`;
