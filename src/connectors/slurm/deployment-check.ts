/**
 * `sealflow check` for a `slurm` deployment (docs/connectors/check.md): one
 * `sinfo` (the partition exists and is up; the time limit, threads and
 * memory fit its nodes), and on this machine the shared `workDir` and the
 * `masterAddress` the nodes would dial. No job is submitted, so what only a
 * node can answer (its `node`, the steps' programs) is said, not looked at.
 * With `login:` the same questions go to the login node over ssh: it is
 * connected to (host key, authentication), `sinfo` runs there, `workDir` is
 * looked at on its file system, and its `node` (the relay's) is checked.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { CheckRequest, CheckResult } from '../connector.js';
import { SshHost } from '../ssh/host.js';
import { shScript } from '../ssh/quote.js';
import { SlurmCluster } from './cluster.js';
import { loginRunner } from './login.js';
import { compileSlurmDeployment, SLURM_OPTION_KEYS } from './deployment.js';

/** Whether `address` is one of this machine's addresses (a name is left to the resolver: not judged). */
function isOwnAddress(address: string): boolean | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return null;
  return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((i) => i.address === address));
}

export async function checkSlurmDeployment(req: CheckRequest): Promise<CheckResult> {
  const options = compileSlurmDeployment(req.deployment, Object.fromEntries(Object.entries(req.options).filter(([k]) => SLURM_OPTION_KEYS.includes(k))));
  const facts: string[] = [];
  const problems: string[] = [];
  if (options.login) return checkThroughLogin(req, options.login, options.workDir, options.transport);
  try {
    const st = fs.statSync(options.workDir);
    if (!st.isDirectory()) problems.push(`workDir ${options.workDir} is not a directory — give a directory on storage this machine and the nodes share`);
    else fs.accessSync(options.workDir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    problems.push(code === 'ENOENT' ? `workDir ${options.workDir} does not exist on this machine — create it on storage the nodes share` : `workDir ${options.workDir} is not writable here (${code ?? String(e)}) — make it writable for this user`);
  }
  if (options.masterAddress !== undefined && isOwnAddress(options.masterAddress) === false) problems.push(`masterAddress ${options.masterAddress} is not an address of this machine — give the address the nodes reach this machine at`);
  const cluster = new SlurmCluster(options.transport);
  try {
    const lines = await cluster.check({ ...(req.threads !== undefined ? { threads: req.threads } : {}), ...(req.memory !== undefined ? { memory: req.memory } : {}) });
    problems.push(...lines);
    if (lines.length === 0) facts.push(`partition ${options.transport.partition ?? '(the default)'} is up and fits the steps placed here`);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  facts.push("the nodes' node and the steps' programs are not looked at (that would take a job)");
  return { facts, problems };
}

type Compiled = ReturnType<typeof compileSlurmDeployment>;

async function checkThroughLogin(req: CheckRequest, login: NonNullable<Compiled['login']>, workDir: string, transport: Compiled['transport']): Promise<CheckResult> {
  const facts: string[] = [];
  const problems: string[] = [];
  const host = new SshHost(login);
  try {
    await host.connect();
  } catch (e) {
    // Nothing else can be asked without the login node.
    host.close().catch(() => undefined);
    return { facts, problems: [e instanceof Error ? e.message : String(e)] };
  }
  try {
    facts.push(`login node ${host.label} connected`);
    const at = `login node ${host.label}`;
    const w = await host.run(shScript('[ -d "$1" ] || exit 3; [ -w "$1" ] || exit 4', [workDir]));
    if (w.code === 3) problems.push(`workDir ${workDir} does not exist on ${at} — create it there, on storage the nodes share`);
    else if (w.code === 4) problems.push(`workDir ${workDir} is not writable on ${at} — make it writable for ${login.user ?? 'the login user'}`);
    try {
      const n = await host.checkNode();
      facts.push(`${at}: node ${n.version} (the relay of the master's ports)`);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
    const cluster = new SlurmCluster(transport, { runner: loginRunner(host, transport.slurmConf) });
    try {
      const lines = await cluster.check({ ...(req.threads !== undefined ? { threads: req.threads } : {}), ...(req.memory !== undefined ? { memory: req.memory } : {}) });
      problems.push(...lines);
      if (lines.length === 0) facts.push(`partition ${transport.partition ?? '(the default)'} is up and fits the steps placed here (asked on ${at})`);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
    facts.push("the nodes' node and the steps' programs are not looked at (that would take a job)");
    return { facts, problems };
  } finally {
    await host.close().catch(() => undefined);
  }
}
