/**
 * `sealflow check` for an `ssh` deployment (docs/connectors/check.md): one
 * connection to the host, then one read-only script that looks for what the
 * workers would need there — `node`, the transport's tools, the platform's
 * devices and programs, the programs the steps run (hashing the pinned ones)
 * and a writable base directory. Nothing is started, uploaded or written:
 * the host key is never accepted here (an unknown key is reported, with what
 * a run would do about it), and the control master is closed at the end.
 */
import type { CheckRequest, CheckResult } from '../connector.js';
import { SshError } from './errors.js';
import { SshHost, REMOTE_TOOLS } from './host.js';
import { compileSshOptions, SSH_OPTION_KEYS, type CompiledSshOptions } from './options.js';
import { shScript } from './quote.js';

/**
 * The probe: argument 1 the steps' PATH, 2 the base directory, then triples
 * (kind, name, pin path or "") where kind is `tool` (hash it: `toolpin`),
 * `need` (a program on the login PATH) or `file`. One line per item, in
 * order: `ok<TAB>sha256-or-dash<TAB>resolved path` (a dash for `need`, which
 * may be a shell builtin) or `missing`; then one
 * line for the base directory: `dir<TAB>writable|readonly<TAB>KiB available`.
 */
const PROBE = [
  'p=$1; base=$2; shift 2',
  'while [ $# -ge 3 ]; do k=$1; n=$2; at=$3; shift 3',
  '  case $k in',
  '    file) if [ -e "$n" ]; then printf "ok\\t-\\t%s\\n" "$n"; else echo missing; fi; continue;;',
  '    need) if command -v -- "$n" >/dev/null 2>&1; then printf "ok\\t-\\t-\\n"; else echo missing; fi; continue;;',
  '    *) if [ -n "$at" ]; then f=$at; else f=$(PATH=$p command -v -- "$n" 2>/dev/null); fi;;',
  '  esac',
  '  if [ -z "$f" ] || [ ! -f "$f" ] || [ ! -x "$f" ]; then echo missing; continue; fi',
  '  r=$(readlink -f -- "$f"); s=-',
  '  if [ "$k" = toolpin ]; then s=$(sha256sum -- "$r" | cut -d" " -f1); fi',
  '  printf "ok\\t%s\\t%s\\n" "$s" "$r"',
  'done',
  'd=$base; case $d in /*) ;; *) d=$HOME/$d;; esac',
  'while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done',
  'if [ -d "$d" ] && [ -w "$d" ]; then w=writable; else w=readonly; fi',
  'a=$(df -Pk -- "$d" 2>/dev/null | tail -n 1 | tr -s " " | cut -d" " -f4)',
  'printf "dir\\t%s\\t%s\\n" "$w" "${a:-?}"',
].join('\n');

interface Item {
  readonly kind: 'tool' | 'toolpin' | 'need' | 'file';
  readonly name: string;
  readonly at: string;
  readonly what: string;
  readonly sha256?: string;
}

export type ProbeLine = { readonly found: false } | { readonly found: true; readonly sha256: string | null; readonly path: string };

/** The probe's answer for `count` items and the directory line, strictly; null if it is out of shape. */
export function parseProbe(stdout: string, count: number): { items: ProbeLine[]; writable: boolean; availableKiB: number | null } | null {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== count + 1) return null;
  const items: ProbeLine[] = [];
  for (const line of lines.slice(0, count)) {
    if (line === 'missing') {
      items.push({ found: false });
      continue;
    }
    const m = /^ok\t(-|[0-9a-f]{64})\t(-|\/[^\t\n]{0,4095})$/.exec(line);
    if (!m) return null;
    items.push({ found: true, sha256: m[1] === '-' ? null : (m[1] as string), path: m[2] as string });
  }
  const d = /^dir\t(writable|readonly)\t(\d{1,20}|\?)$/.exec(lines[count] as string);
  if (!d) return null;
  return { items, writable: d[1] === 'writable', availableKiB: d[2] === '?' ? null : Number(d[2]) };
}

function itemsOf(req: CheckRequest): Item[] {
  const items: Item[] = REMOTE_TOOLS.map((t) => ({ kind: 'need', name: t, at: '', what: 'the transport' }));
  for (const c of req.platform.hostNeeds?.commands ?? []) items.push({ kind: 'need', name: c, at: '', what: `platform ${req.platform.name}` });
  for (const f of req.platform.hostNeeds?.files ?? []) items.push({ kind: 'file', name: f.path, at: '', what: `platform ${req.platform.name} (${f.what})` });
  for (const t of req.tools) {
    items.push({ kind: t.pin ? 'toolpin' : 'tool', name: t.name, at: t.pin?.path ?? t.at ?? '', what: 'the steps', ...(t.pin ? { sha256: t.pin.sha256 } : {}) });
  }
  return items;
}

export async function checkSshDeployment(req: CheckRequest): Promise<CheckResult> {
  const raw: Record<string, unknown> = {};
  for (const k of SSH_OPTION_KEYS) if (req.options[k] !== undefined) raw[k] = req.options[k];
  const accepts = raw['acceptNewHostKey'] === true;
  const options = compileSshOptions(req.deployment, { ...raw, acceptNewHostKey: false });
  // Every host of the deployment (`hosts:`), at once.
  const each = await Promise.all(options.hosts.map((h) => checkHost({ ...options, host: h }, req, accepts)));
  return { facts: each.flatMap((r) => r.facts), problems: each.flatMap((r) => r.problems) };
}

async function checkHost(options: CompiledSshOptions, req: CheckRequest, accepts: boolean): Promise<CheckResult> {
  const host = new SshHost(options);
  const facts: string[] = [];
  const problems: string[] = [];
  const label = `host ${options.host}`;
  const strip = (m: string) => m.replace(/^deployment "[^"]*": /, '');
  try {
    try {
      await host.connect();
    } catch (e) {
      if (e instanceof SshError && e.kind === 'unknown-host-key' && accepts) {
        problems.push(`${label}: its host key is not yet known; a run would accept it (acceptNewHostKey: true) and journal its fingerprint — confirm the fingerprint with the host's administrator, or add it to known_hosts first`);
        return { facts, problems };
      }
      throw e;
    }
    const node = await host.checkNode();
    facts.push(`${label}: node ${node.version}`);
    const items = itemsOf(req);
    const args = [req.path, options.baseDir, ...items.flatMap((i) => [i.kind, i.name, i.at])];
    const r = await host.run(shScript(PROBE, args));
    const parsed = r.code === 0 ? parseProbe(r.stdout.toString('utf8'), items.length) : null;
    if (!parsed) {
      problems.push(`${label}: the read-only probe failed (exit ${r.code ?? r.signal}: ${String(r.stderr).trim().split('\n').pop()?.slice(0, 200) ?? ''}) — check that the login shell is a POSIX shell`);
      return { facts, problems };
    }
    const missing = new Map<string, string[]>();
    parsed.items.forEach((p, k) => {
      const item = items[k] as Item;
      if (!p.found) {
        const why = item.kind === 'file' ? item.what : `needed by ${item.what}`;
        const list = missing.get(why) ?? [];
        list.push(item.at !== '' ? `${item.name} (at ${item.at})` : item.name);
        missing.set(why, list);
        return;
      }
      if (item.sha256 !== undefined && p.sha256 !== item.sha256) {
        problems.push(`${label}: tool ${item.name} at ${p.path} has SHA-256 ${p.sha256}, but the run configuration pins ${item.sha256} — update the pin if the tool was updated on purpose ('sealflow tools pin' on that host prints it), otherwise find out what changed it`);
      }
    });
    for (const [why, names] of missing) {
      problems.push(why.startsWith('needed by the steps')
        ? `${label}: ${names.join(', ')} not found on the steps' PATH (${req.path}) — install ${names.length > 1 ? 'them' : 'it'} there, or set 'path:' in sealflow.yaml`
        : why.startsWith('needed by')
          ? `${label}: ${names.join(', ')} not found (${why}) — install ${names.length > 1 ? 'them' : 'it'} on the host`
          : `${label}: ${names.join(', ')} does not exist (${why}) — this host cannot run platform ${req.platform.name}; use a host that has it`);
    }
    if (!parsed.writable) problems.push(`${label}: the worker base directory ${options.baseDir} cannot be created or written — set baseDir to a writable directory`);
    else facts.push(`${label}: ${options.baseDir} writable${parsed.availableKiB !== null ? `, ${(parsed.availableKiB / 1024 ** 2).toFixed(1)} GiB free` : ''}`);
  } catch (e) {
    problems.push(strip(e instanceof Error ? e.message : String(e)));
  } finally {
    await host.close().catch(() => undefined);
  }
  return { facts, problems };
}
