/**
 * Readers of what comes back from the host and from the local OpenSSH tools.
 * The host is untrusted, so each one takes arbitrary text and returns null
 * (never throws) when it does not have the expected shape; the caller turns
 * null into an error naming the host.
 */

/** `ssh -G` output: the settings ssh will use (first value of each keyword, as ssh itself takes it). */
export interface ResolvedSsh {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly hostKeyAlias: string | undefined;
  readonly userKnownHostsFiles: readonly string[];
}

export function parseSshG(text: string): ResolvedSsh | null {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z0-9]+) (.*)$/.exec(line.replace(/\r$/, ''));
    if (m && !kv.has(m[1]!)) kv.set(m[1]!, m[2]!);
  }
  const hostname = kv.get('hostname');
  const port = Number(kv.get('port'));
  const user = kv.get('user');
  if (!hostname || !user || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  const alias = kv.get('hostkeyalias');
  return {
    hostname,
    port,
    user,
    hostKeyAlias: alias && alias !== 'none' ? alias : undefined,
    userKnownHostsFiles: (kv.get('userknownhostsfile') ?? '').split(' ').filter(Boolean),
  };
}

/** `v20.11.1` → [20, 11, 1]; null for anything else (an empty answer, a banner, a shell error). */
export function parseNodeVersion(text: string): readonly [number, number, number] | null {
  const m = /^v(\d{1,6})\.(\d{1,6})\.(\d{1,6})(?:-[0-9A-Za-z.-]+)?\s*$/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** The `SHA256:…` fingerprints in `ssh-keygen -l -F host -f known_hosts` output. */
export function parseFingerprints(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /\s(SHA256:[A-Za-z0-9+/]{43})(?:\s|$)/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The first line a remote process prints: `sealflow-pgid <n>` (the remote process group). */
export function parsePgidLine(line: string): number | null {
  const m = /^sealflow-pgid ([1-9]\d{0,9})$/.exec(line);
  if (!m) return null;
  const n = Number(m[1]);
  return n > 1 && n <= 0x7fffffff ? n : null;
}

/** What the remote upload check printed: byte count, then `sha256sum` output. */
export function parseUploadCheck(text: string): { size: number; sha256: string } | null {
  const m = /^\s*(\d{1,16})\n([0-9a-f]{64})(?: {1,2}-)?\n?$/.exec(text);
  return m ? { size: Number(m[1]), sha256: m[2]! } : null;
}

/** One line of the sweep script's report. */
export interface SweepLine {
  readonly name: string;
  readonly removed: boolean;
  /** Why it was kept: `live`, `locked`, `young`, `no-marker`, `bad-marker`, `failed`. */
  readonly reason: string | undefined;
}

const REASONS = new Set(['live', 'locked', 'young', 'no-marker', 'bad-marker', 'failed']);

/** Lines `removed <name>` / `kept <name> <reason>`; lines of any other shape are ignored. */
export function parseSweep(text: string): SweepLine[] {
  const out: SweepLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(removed|kept) ([0-9a-f]{24})(?: ([a-z-]+))?$/.exec(line);
    if (!m) continue;
    if (m[1] === 'removed' && m[3] === undefined) out.push({ name: m[2]!, removed: true, reason: undefined });
    else if (m[1] === 'kept' && m[3] !== undefined && REASONS.has(m[3])) out.push({ name: m[2]!, removed: false, reason: m[3] });
  }
  return out;
}

/** An absolute path printed by the host (`pwd`): one line, no control characters. */
export function parseRemotePath(text: string): string | null {
  const p = text.replace(/\n$/, '');
  return p.startsWith('/') && !/[\0-\x1f\x7f]/.test(p) && p.length < 4096 ? p : null;
}
