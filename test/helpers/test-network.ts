/**
 * The network one set of namespace machines shares (hosts.ts: sshd hosts;
 * slurm-cluster.ts: a Slurm cluster): checked `hide` directories, a fresh
 * `sf<pid>-<k>` prefix, a temp directory named by it, a private /24, and
 * ip_forward while it is held — all given back by one idempotent `release`,
 * which also runs if the process exits first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireForward, claimSubnet, destroyNamespace, newPrefix, onExit, releaseForward, releaseSubnet, sweepStale } from './netns.js';

export interface TestNetwork {
  readonly prefix: string;
  /** The temp directory (`<tmpdir>/<prefix>-<kind>-…`). */
  readonly dir: string;
  /** The /24's first three octets; `gateway` is its .1 in the root namespace. */
  readonly subnet: string;
  readonly gateway: string;
  /** The `hide` directories, resolved and checked. */
  readonly hide: readonly string[];
  /** Network namespaces `release` destroys: push each one before creating it. */
  readonly namespaces: string[];
  /** Turns ip_forward on for this network (held until `release`). */
  holdForward(): void;
  /** Destroys the namespaces, runs `onRelease`, lets ip_forward and the subnet go, removes the directory; once. */
  release(): void;
  /** Drops the exit hook (after `release`). */
  unhook(): void;
}

/**
 * Claims a network for `who` (the starting function's name, for errors):
 * every `hide` directory must exist and must not hold the temp directory,
 * where the machines' own files live. `onRelease` runs after the namespaces
 * are destroyed (killing the machines' processes).
 */
export function claimTestNetwork(o: { who: string; kind: string; hide?: readonly string[]; onRelease?: () => void }): TestNetwork {
  const hide = (o.hide ?? []).map((d) => path.resolve(d));
  for (const h of hide) {
    const tmp = os.tmpdir();
    if (tmp === h || tmp.startsWith(h + path.sep)) throw new Error(`${o.who}: its own directory (under ${tmp}) would be inside hidden ${h}`);
    if (!fs.statSync(h).isDirectory()) throw new Error(`${o.who}: hide ${h} is not a directory`);
  }
  sweepStale();
  const prefix = newPrefix();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-${o.kind}-`));
  const namespaces: string[] = [];
  let forward = false;
  let removed = false;
  const release = () => {
    for (const ns of namespaces) destroyNamespace(ns);
    o.onRelease?.();
    if (forward) releaseForward(prefix);
    releaseSubnet(prefix);
    forward = false;
    if (!removed) fs.rmSync(dir, { recursive: true, force: true });
    removed = true;
  };
  const unhook = onExit(release);
  const subnet = claimSubnet(prefix);
  return {
    prefix,
    dir,
    subnet,
    gateway: `${subnet}.1`,
    hide,
    namespaces,
    holdForward() {
      acquireForward(prefix);
      forward = true;
    },
    release,
    unhook,
  };
}
