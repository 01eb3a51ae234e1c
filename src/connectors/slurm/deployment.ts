/**
 * A `slurm` deployment's options as the connector reads them: the transport's
 * (options.ts: partition, account, qos, timeLimit, nodelist, threads, memory,
 * slurmConf) plus where the connector puts its files and how the jobs reach
 * the master (docs/connectors/slurm.md "Configure"):
 *
 * - `workDir`: a directory on storage both the master and the nodes read and
 *   write (a cluster file system: `/scratch/$USER/sealflow`). Each run gets
 *   a fresh subdirectory with an opaque name there, removed at the end.
 * - `masterAddress`: the master's address as the nodes dial it. The master's
 *   ports stay on its loopback; the connector relays the same port numbers
 *   from this address to them for the length of the run (relay.ts).
 * - `nodePath`: `node` on the nodes (an absolute path; default: the master's).
 * - `login`: a login node reached over ssh (login.ts), with the ssh
 *   connector's own options. Then the Slurm commands run there, `workDir`
 *   is a directory on the login node's file system (shared with the nodes,
 *   not with the master), and `masterAddress` is the login node's address
 *   as the nodes dial it (default: the address ssh connects to).
 *
 * Validated once, at start; every error names the deployment and the option.
 */
import { InputError } from '../../errors.js';
import type { CompiledSshOptions } from '../ssh/options.js';
import { compileLogin } from './login.js';
import { compileSlurmOptions, SAFE_PATH, type SlurmSettings } from './options.js';

/** The transport's keys (options.ts). */
export const TRANSPORT_KEYS = ['partition', 'account', 'qos', 'timeLimit', 'nodelist', 'threads', 'memory', 'slurmConf'] as const;
/** The connector's own keys. */
export const CONNECTOR_KEYS = ['workDir', 'masterAddress', 'nodePath', 'login'] as const;
/** Every key a `slurm` deployment may carry in sealflow.yaml. */
export const SLURM_OPTION_KEYS: readonly string[] = [...TRANSPORT_KEYS, ...CONNECTOR_KEYS];

/**
 * The longest `workDir`: the sim evidence socket is served in a slot's
 * directory under it (`<workDir>/sf-<16 hex>/<12 hex>/sim-evidence.sock`),
 * and a Unix socket's path is limited to 107 bytes.
 */
export const MAX_WORK_DIR = 50;
/** Through a login node the run directory's name is longer (`<workDir>/<24 hex>/<12 hex>/sim-evidence.sock`), and the forwarded socket's path is limited to 100 bytes. */
export const MAX_LOGIN_WORK_DIR = 44;
const ADDRESS = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export interface SlurmDeployment {
  readonly transport: SlurmSettings;
  readonly workDir: string;
  /** Where the nodes dial the master's ports; undefined only with `login` (then the address ssh connects to). */
  readonly masterAddress: string | undefined;
  readonly nodePath: string;
  /** The login node, when the cluster is reached through one. */
  readonly login?: CompiledSshOptions;
}

function fail(deployment: string, msg: string): never {
  throw new InputError(`deployment "${deployment}" (slurm): ${msg}`);
}

export function compileSlurmDeployment(deployment: string, raw: Readonly<Record<string, unknown>>): SlurmDeployment {
  const transport: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if ((TRANSPORT_KEYS as readonly string[]).includes(k)) transport[k] = v;
    else if (!(CONNECTOR_KEYS as readonly string[]).includes(k)) fail(deployment, `unknown option "${k}"; a slurm deployment takes ${SLURM_OPTION_KEYS.join(', ')}.`);
  }
  const workDir = raw['workDir'];
  if (workDir === undefined) fail(deployment, `needs workDir: a directory on storage both this machine and the cluster's nodes read and write (e.g. /scratch/you/sealflow); each run gets an opaque subdirectory there.`);
  if (typeof workDir !== 'string' || !SAFE_PATH.test(workDir) || workDir.split('/').includes('..')) fail(deployment, `workDir must be an absolute path without spaces, quotes or "..", not ${JSON.stringify(workDir)}.`);
  const viaLogin = raw['login'] !== undefined;
  if (viaLogin && workDir.length > MAX_LOGIN_WORK_DIR) fail(deployment, `workDir ${workDir} is ${workDir.length} characters; through a login node at most ${MAX_LOGIN_WORK_DIR} fit (a worker's evidence socket lives below it, and a forwarded socket's path is limited to 100 bytes) — choose a shorter path or a symbolic link to it.`);
  if (workDir.length > MAX_WORK_DIR) fail(deployment, `workDir ${workDir} is ${workDir.length} characters; at most ${MAX_WORK_DIR} fit (a worker's evidence socket lives below it, and a Unix socket path is limited to 107 bytes) — choose a shorter path or a symbolic link to it.`);
  const masterAddress = raw['masterAddress'];
  if (masterAddress === undefined && !viaLogin) fail(deployment, `needs masterAddress: this machine's address as the cluster's nodes dial it (e.g. the login network's address of the master).`);
  if (masterAddress !== undefined && (typeof masterAddress !== 'string' || !ADDRESS.test(masterAddress) || masterAddress.length > 253)) fail(deployment, `masterAddress must be an IPv4 address or a host name, not ${JSON.stringify(masterAddress)}.`);
  if (typeof masterAddress === 'string' && /^127\.|^localhost$/i.test(masterAddress)) fail(deployment, `masterAddress ${masterAddress} is a loopback address, which the nodes cannot dial; give ${viaLogin ? "the login node's" : "this machine's"} address on the cluster's network.`);
  const nodePath = raw['nodePath'] ?? process.execPath;
  if (typeof nodePath !== 'string' || !SAFE_PATH.test(nodePath)) fail(deployment, `nodePath must be the absolute path of node on the nodes, not ${JSON.stringify(nodePath)}.`);
  const login = viaLogin ? compileLogin(deployment, raw['login'], workDir) : undefined;
  return { transport: compileSlurmOptions(deployment, transport), workDir, masterAddress: masterAddress as string | undefined, nodePath, ...(login ? { login } : {}) };
}
