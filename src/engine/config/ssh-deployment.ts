/**
 * An `ssh` deployment's options, checked at start (docs/connectors/ssh.md):
 * `compileSshOptions` validates the transport's options; a failure becomes an
 * exact `file:line` error at the offending key. Relative file options
 * (`identityFile`, `configFile`, `knownHosts`) are resolved against the
 * directory of sealflow.yaml and stored resolved, so the connector reads the
 * same files whatever the master's working directory.
 */
import path from 'node:path';
import { compileSshOptions, SSH_OPTION_KEYS } from '../../connectors/ssh/options.js';
import type { MapEntry, YamlSource } from '../../workflow/yaml-source.js';

const FILE_KEYS = ['identityFile', 'configFile', 'knownHosts'] as const;
/** How a remote worker reaches the master's broker and executor ports: a reverse SSH forward to the host's loopback. */
export const SSH_REACH = ['ssh-tunnel'] as const;
/** §15.7, §15.8: through the master (default), or pulled from the producing worker's host when the hosts reach each other. */
const TRANSFERS = ['master', 'direct'] as const;

export function checkSshDeployment(src: YamlSource, id: string, es: readonly MapEntry[], options: Record<string, unknown>): void {
  const context = `deployment "${id}"`;
  const at = (key: string) => es.find((e) => e.key === key);
  const dir = path.dirname(src.file);
  for (const k of FILE_KEYS) {
    const v = options[k];
    if (typeof v === 'string' && v !== '' && !v.startsWith('~') && !path.isAbsolute(v)) options[k] = path.resolve(dir, v);
  }
  const reach = options['reach'];
  if (reach !== undefined && !(SSH_REACH as readonly unknown[]).includes(reach)) {
    throw src.error(at('reach')?.value, context, `reach must be ${SSH_REACH.join(' or ')} (workers reach the master through a reverse SSH forward bound to the host's loopback); got ${JSON.stringify(reach)}.`);
  }
  const transfers = options['transfers'];
  if (transfers !== undefined && !(TRANSFERS as readonly unknown[]).includes(transfers)) {
    throw src.error(at('transfers')?.value, context, `transfers must be master (every ciphertext goes through the master) or direct (workers pull each other's ciphertexts, through the master where they cannot reach each other); got ${JSON.stringify(transfers)}.`);
  }
  const ssh: Record<string, unknown> = {};
  for (const k of SSH_OPTION_KEYS) if (options[k] !== undefined) ssh[k] = options[k];
  try {
    compileSshOptions(id, ssh);
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    const key = /ssh option "([A-Za-z]+)"/.exec(m)?.[1];
    const entry = key === undefined ? undefined : at(key);
    throw src.error(entry?.value ?? es[0]?.keyNode, context, `${m.replace(/^deployment "[^"]*": /, '')}.`);
  }
}
