/**
 * `sealflow check` for a `slurm` deployment (docs/connectors/check.md): one
 * `sinfo` (the partition exists and is up; the time limit, threads and
 * memory fit its nodes), and on this machine the shared `workDir` and the
 * `masterAddress` the nodes would dial. No job is submitted, so what only a
 * node can answer (its `node`, the steps' programs) is said, not looked at.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { CheckRequest, CheckResult } from '../connector.js';
import { SlurmCluster } from './cluster.js';
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
  try {
    const st = fs.statSync(options.workDir);
    if (!st.isDirectory()) problems.push(`workDir ${options.workDir} is not a directory — give a directory on storage this machine and the nodes share`);
    else fs.accessSync(options.workDir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    problems.push(code === 'ENOENT' ? `workDir ${options.workDir} does not exist on this machine — create it on storage the nodes share` : `workDir ${options.workDir} is not writable here (${code ?? String(e)}) — make it writable for this user`);
  }
  if (isOwnAddress(options.masterAddress) === false) problems.push(`masterAddress ${options.masterAddress} is not an address of this machine — give the address the nodes reach this machine at`);
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
