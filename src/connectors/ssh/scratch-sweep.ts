/**
 * The plaintext scratch of an ssh host's workers whose processes are gone
 * (docs/protocol.md §10.8): a worker SIGKILLed together with its master and
 * connection cannot wipe its decrypted inputs, and no sealflow command runs
 * on the host afterwards to sweep them as engine/scratch-sweep.ts does
 * locally. So each connection sweeps them first: a worker directory
 * `<base>/<run>/<host id>/<pid>/` (stager.ts) goes when its `owner.json`
 * names a process that no longer exists or whose pid now belongs to another
 * process (start time differs). Live workers of any run stay; a directory
 * without `owner.json` stays (its worker may be starting). Nothing is swept
 * where `/proc` does not exist.
 */
import { shScript } from './quote.js';
import type { SshHost } from './host.js';

/** $1: the scratch base (`<tmpfs>/sealflow-scratch-<uid>`); prints how many worker directories it removed. */
export const SWEEP_SCRATCH = `base="$1"
[ -r /proc/self/stat ] || { echo 0; exit 0; }
[ -d "$base" ] && [ ! -L "$base" ] || { echo 0; exit 0; }
ours=$(readlink /proc/self/ns/pid 2>/dev/null)
[ -n "$ours" ] || { echo 0; exit 0; }
n=0
for o in "$base"/*/*/*/owner.json; do
  [ -f "$o" ] || continue
  d=\${o%/owner.json}
  pid=$(sed -n 's/.*"pid":\\([0-9][0-9]*\\).*/\\1/p' "$o")
  start=$(sed -n 's/.*"start":"\\([0-9][0-9]*\\)".*/\\1/p' "$o")
  [ -n "$pid" ] || continue
  ns=$(sed -n 's/.*"pidns":"\\([^"]*\\)".*/\\1/p' "$o")
  [ "$ns" = "$ours" ] || continue
  if [ -r "/proc/$pid/stat" ]; then
    [ -n "$start" ] || continue
    now=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f20)
    [ "$now" = "$start" ] && continue
  fi
  rm -rf -- "$d" && n=$((n + 1))
done
for r in "$base"/*/*; do rmdir -- "$r" 2>/dev/null; done
for r in "$base"/*; do rmdir -- "$r" 2>/dev/null; done
echo "$n"`;

/** Removes the orphaned worker scratch under `base` on the host; the number of worker directories removed. */
export async function sweepHostScratch(host: SshHost, base: string): Promise<number> {
  const out = await host.runChecked(shScript(SWEEP_SCRATCH, [base]), 'sweeping the scratch of workers that are gone');
  return Number(out.toString().trim()) || 0;
}
