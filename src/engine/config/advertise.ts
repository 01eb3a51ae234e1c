/**
 * `advertise:` in sealflow.yaml: the master's listening address, checked at
 * load with a file:line error (src/master/advertise.ts says what it means).
 */
import { parseAdvertise, type Advertise } from '../../master/advertise.js';
import type { YNode } from '../../workflow/yaml-nodes.js';
import type { YamlSource } from '../../workflow/yaml-source.js';
import type { Deployment } from './run-config.js';

export function parseAdvertiseKey(src: YamlSource, node: YNode | undefined, deployments: readonly Deployment[]): Advertise {
  const text = src.string(node, '', 'advertise');
  let a: Advertise;
  try {
    a = parseAdvertise(text);
  } catch (e) {
    throw src.error(node, '', `${e instanceof Error ? e.message : String(e)}.`);
  }
  // ssh workers dial the master through a reverse forward to its loopback (reach: ssh-tunnel).
  const ssh = deployments.find((d) => d.connector === 'ssh');
  if (ssh && a.host !== '127.0.0.1' && a.host !== 'localhost') {
    throw src.error(node, '', `advertise ${a.host} is not 127.0.0.1, but deployment "${ssh.id}" (${ssh.loc.file}:${ssh.loc.line}) uses connector ssh, whose workers reach the master through a reverse SSH forward to 127.0.0.1 (reach: ssh-tunnel). Advertise 127.0.0.1:<port or range>, or move the ssh deployment to its own run.`);
  }
  const loc = src.loc(node);
  return { ...a, where: `${loc.file}:${loc.line}` };
}
