/**
 * The options of one `ssh` deployment, validated once at the edge into a
 * compiled form (errors name the deployment and the option, and say what to
 * do). Hosts come either from `host`/`port`/`user`/`identityFile`, or from
 * an entry of the user's `~/.ssh/config` (`host` is then its alias; ssh
 * resolves it, so ProxyJump, certificates and the agent work as configured).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../errors.js';

export interface CompiledSshOptions {
  readonly deployment: string;
  /** Address, host name or ~/.ssh/config alias. */
  readonly host: string;
  /**
   * Every host of the deployment, `host` first (`hosts:` lists several that
   * share every other option): workers are spread over them, and a lost
   * worker is re-provisioned on another one when its own is gone.
   */
  readonly hosts: readonly string[];
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly identityFile: string | undefined;
  /** An ssh config file for `-F`; undefined: ssh reads the user's and the system's as usual. */
  readonly configFile: string | undefined;
  /** known_hosts file; undefined: ssh's own (`~/.ssh/known_hosts`). */
  readonly knownHosts: string | undefined;
  /** `StrictHostKeyChecking=accept-new` instead of `yes`: a host not yet known is added (and its fingerprint reported). */
  readonly acceptNewHostKey: boolean;
  /** The remote node binary: a name looked up on the remote PATH, or an absolute path. */
  readonly nodePath: string;
  /** Where run directories go on the host: absolute, or relative to the remote home. */
  readonly baseDir: string;
  /** Seconds (ConnectTimeout). */
  readonly connectTimeout: number;
  /** Seconds between keep-alives; the connection is declared lost after `aliveCountMax` unanswered. */
  readonly aliveInterval: number;
  readonly aliveCountMax: number;
  /** Seconds the control master stays after its last session (ControlPersist). */
  readonly controlPersist: number;
}

/** Every ssh option key a deployment may carry. */
export const SSH_OPTION_KEYS = [
  'host', 'hosts', 'port', 'user', 'identityFile', 'configFile', 'knownHosts', 'acceptNewHostKey',
  'nodePath', 'baseDir', 'connectTimeout', 'aliveInterval', 'aliveCountMax', 'controlPersist',
] as const;

const expandHome = (p: string) => (p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p);

/** Validates a deployment's ssh options; throws an InputError naming the deployment and option. */
export function compileSshOptions(deployment: string, raw: Readonly<Record<string, unknown>>): CompiledSshOptions {
  const bad = (key: string, what: string) => new InputError(`deployment "${deployment}": ssh option "${key}" ${what}`);
  for (const k of Object.keys(raw)) {
    if (k === 'password' || k === 'passphrase') {
      throw bad(k, 'is not accepted: sealflow never uses passwords for SSH; use identityFile or a key in the SSH agent');
    }
    if (!(SSH_OPTION_KEYS as readonly string[]).includes(k)) throw bad(k, `is unknown (known: ${SSH_OPTION_KEYS.join(', ')})`);
  }
  const str = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw bad(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    if (/[\0-\x1f\x7f]/.test(v)) throw bad(key, 'must not contain control characters');
    return v;
  };
  const int = (key: string, min: number, max: number, dflt: number): number => {
    const v = raw[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return v;
  };
  const file = (key: string): string | undefined => {
    const v = str(key);
    if (v === undefined) return undefined;
    const p = path.resolve(expandHome(v));
    try {
      fs.accessSync(p, fs.constants.R_OK);
    } catch {
      throw bad(key, `names ${p}, which cannot be read: check the path`);
    }
    return p;
  };

  const checkHost = (key: string, h: string) => {
    if (h.startsWith('-') || /[\s@]/.test(h)) throw bad(key, `must be a host name, address or ssh config alias, got ${JSON.stringify(h)} (put the user in "user")`);
    return h;
  };
  const single = str('host');
  const list = raw['hosts'];
  if (single !== undefined && list !== undefined) throw bad('hosts', 'and "host" are both given: use "host" for one host, or "hosts" for several');
  let hosts: string[];
  if (list !== undefined) {
    if (!Array.isArray(list) || list.length === 0 || list.length > 64) throw bad('hosts', `must be a list of 1 to 64 host names, addresses or ssh config aliases, got ${JSON.stringify(list)}`);
    hosts = list.map((h, i) => {
      if (typeof h !== 'string' || h === '' || /[\0-\x1f\x7f]/.test(h)) throw bad('hosts', `entry ${i + 1} must be a non-empty string without control characters, got ${JSON.stringify(h)}`);
      return checkHost('hosts', h);
    });
    if (new Set(hosts).size !== hosts.length) throw bad('hosts', `lists a host twice: ${JSON.stringify(list)}`);
  } else if (single !== undefined) hosts = [checkHost('host', single)];
  else throw bad('host', 'is required (an address, a host name or an alias of your ~/.ssh/config; or "hosts" for several)');
  const host = hosts[0]!;
  const user = str('user');
  if (user !== undefined && (user.startsWith('-') || /[\s@:]/.test(user))) throw bad('user', `must be a plain user name, got ${JSON.stringify(user)}`);
  const port = raw['port'] === undefined ? undefined : int('port', 1, 65535, 22);

  const knownHostsRaw = str('knownHosts');
  let knownHosts: string | undefined;
  if (knownHostsRaw !== undefined) {
    knownHosts = path.resolve(expandHome(knownHostsRaw));
    if (!fs.existsSync(path.dirname(knownHosts))) throw bad('knownHosts', `names ${knownHosts}, whose directory does not exist`);
  }
  const accept = raw['acceptNewHostKey'];
  if (accept !== undefined && typeof accept !== 'boolean') throw bad('acceptNewHostKey', `must be true or false, got ${JSON.stringify(accept)}`);

  const nodePath = str('nodePath') ?? 'node';
  if (nodePath.startsWith('-') || /\s/.test(nodePath)) throw bad('nodePath', `must be a program name or an absolute path, got ${JSON.stringify(nodePath)}`);
  const baseDir = str('baseDir') ?? '.sealflow-worker';
  if (baseDir.split('/').includes('..') || /[\s]/.test(baseDir)) throw bad('baseDir', `must be a path without ".." or spaces, got ${JSON.stringify(baseDir)}`);

  return {
    deployment,
    host,
    hosts,
    port,
    user,
    identityFile: file('identityFile'),
    configFile: file('configFile'),
    knownHosts,
    acceptNewHostKey: accept === true,
    nodePath,
    baseDir,
    connectTimeout: int('connectTimeout', 1, 300, 10),
    aliveInterval: int('aliveInterval', 1, 300, 1),
    aliveCountMax: int('aliveCountMax', 1, 100, 3),
    controlPersist: int('controlPersist', 1, 86_400, 60),
  };
}
