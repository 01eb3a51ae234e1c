/**
 * A `slurm` deployment's options, checked at start (docs/connectors/slurm.md):
 * `compileSlurmDeployment` validates them; a failure becomes an exact
 * `file:line` error at the offending key. Transfers go through the master in
 * this version (ciphertexts are staged on the shared `workDir`).
 */
import { compileSlurmDeployment } from '../../connectors/slurm/deployment.js';
import type { MapEntry, YamlSource } from '../../workflow/yaml-source.js';

export function checkSlurmDeployment(src: YamlSource, id: string, es: readonly MapEntry[], options: Record<string, unknown>): void {
  const context = `deployment "${id}"`;
  const at = (key: string) => es.find((e) => e.key === key);
  const transfers = options['transfers'];
  if (transfers !== undefined && transfers !== 'master') {
    throw src.error(at('transfers')?.value, context, `a slurm deployment supports transfers: master only in this version (every ciphertext goes through the master and the shared workDir); got ${JSON.stringify(transfers)}.`);
  }
  const slurm: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (k !== 'transfers' && k !== 'policy') slurm[k] = v;
  try {
    compileSlurmDeployment(id, slurm);
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    // The message names the option first ("partition must be …", "needs workDir", "workDir … is 60 characters").
    const body = m.replace(/^deployment "[^"]*" \(slurm\): /, '');
    const key = /^(?:needs )?([A-Za-z]+)\b/.exec(body)?.[1];
    const entry = key === undefined ? undefined : at(key);
    throw src.error(entry?.value ?? es[0]?.keyNode, context, body.endsWith('.') ? body : `${body}.`);
  }
}
