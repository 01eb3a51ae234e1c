/**
 * Before the first worker of a hardware platform (gramine, occlum, …) starts
 * on a host: one read-only probe for the platform's `hostNeeds` there — its
 * device files, and its launcher on the PATH the worker will get — so that a
 * host without them fails the start with one line naming the deployment, the
 * host and what is missing, instead of the worker's exit and the shell's
 * "not found". `none` and `sim` need nothing on the host but `node`, which is
 * checked anyway (host.ts checkNode).
 */
import path from 'node:path';
import type { LaunchRequest } from '../connector.js';
import type { SshHost } from './host.js';
import { shScript } from './quote.js';

/**
 * Arguments: the worker's PATH, the number of files, the files, the commands.
 * Prints each missing file or command on a line of its own; nothing if all are there.
 */
const PROBE = [
  'p=$1; n=$2; shift 2',
  'while [ "$n" -gt 0 ]; do [ -e "$1" ] || printf "%s\\n" "$1"; n=$((n - 1)); shift; done',
  'for c in "$@"; do PATH=$p command -v -- "$c" >/dev/null 2>&1 || printf "%s\\n" "$c"; done',
].join('\n');

/** Throws the host's SshError naming what platform `req.platform` lacks on `host`; resolves if nothing is missing. */
export async function checkPlatformNeeds(host: SshHost, req: Pick<LaunchRequest, 'platform' | 'env'>): Promise<void> {
  const p = req.platform;
  if (!p.isTee || p.hostNeeds === undefined) return;
  // Where device files are looked for: SEALFLOW_DEVICE_ROOT as in tee/host.ts deviceRoot() (default /; the stand-in tests).
  const root = process.env['SEALFLOW_DEVICE_ROOT'] || '/';
  const files = (p.hostNeeds.files ?? []).map((f) => ({ ...f, at: path.posix.join(root, f.path) }));
  const commands = p.hostNeeds.commands ?? [];
  if (files.length === 0 && commands.length === 0) return;
  const workerPath = req.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin';
  const out = await host.runChecked(shScript(PROBE, [workerPath, String(files.length), ...files.map((f) => f.at), ...commands]), `looking for what platform ${p.name} needs`);
  const missing = new Set(out.toString('utf8').split('\n'));
  const lacks = [...files.filter((f) => missing.has(f.at)).map((f) => `${f.path} (${f.what})`), ...commands.filter((c) => missing.has(c)).map((c) => `${c} on the worker's PATH`)];
  if (lacks.length === 0) return;
  throw host.remoteError(`lacks what platform ${p.name} needs there: ${lacks.join(', ')} — install it on that host (or set the run's PATH to where it is), or bind the deployment to a host that has it; 'sealflow check' lists a host's needs`);
}
