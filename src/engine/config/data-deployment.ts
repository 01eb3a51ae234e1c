/**
 * A deployment's `data:` (docs/connectors/data-in-place.md): the owner's
 * signed manifest(s) of ciphertexts already on its hosts and the public key
 * that must have signed them —
 *   data: { manifest: lab.json, signer: ed25519:… }   (manifest: a file or a list)
 * Each manifest is read, parsed strictly and its signature checked now, at
 * start: a wrong signer, an unsigned or altered manifest is an exact
 * `file:line` error here, and nothing runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { parseManifest, verifyManifest, type ManifestEntry } from '../../master/data/manifest.js';
import type { YNode } from '../../workflow/yaml-nodes.js';
import type { YamlSource } from '../../workflow/yaml-source.js';

export interface DataEntry extends ManifestEntry {
  /** The manifest that lists it (absolute path on the master). */
  readonly manifest: string;
}

export interface DeploymentData {
  readonly signer: string;
  /** Entries of every manifest by host path. */
  readonly entries: ReadonlyMap<string, DataEntry>;
}

/** Connectors whose hosts hold data in place: the worker must read the host's file, not a copy from the master. */
const DATA_CONNECTORS = ['ssh'];

export function parseDeploymentData(src: YamlSource, id: string, connector: string, node: YNode | undefined): DeploymentData {
  const context = `deployment "${id}"`;
  if (!DATA_CONNECTORS.includes(connector)) throw src.error(node, context, `data: lists files already on a deployment's hosts; connector ${connector} has none of its own (use it on an ssh deployment).`);
  const f = src.fields(node, ['manifest', 'signer'], context, `data`);
  const signerEntry = f.get('signer');
  const manifestEntry = f.get('manifest');
  if (signerEntry === undefined || manifestEntry === undefined) throw src.error(node, context, `data needs 'manifest: <file>' and 'signer: <the owner's public key, ed25519:…>'.`);
  const signer = src.string(signerEntry.value, context, 'data.signer');
  const entries = new Map<string, DataEntry>();
  for (const m of src.items(manifestEntry.value, context, 'data.manifest', true)) {
    const file = path.resolve(path.dirname(src.file), src.string(m, context, 'data.manifest'));
    try {
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch (e) {
        throw new InputError(`${file}: cannot read the data manifest (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
      const manifest = parseManifest(bytes, file);
      verifyManifest(manifest, signer, file);
      for (const e of manifest.entries) {
        const other = entries.get(e.path);
        if (other) throw new InputError(`${file} and ${other.manifest} both list ${e.path}; list each ciphertext once`);
        entries.set(e.path, { ...e, manifest: file });
      }
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      throw src.error(m, context, `${e.message}. Nothing runs until the deployment's data manifest is signed by the signer it names.`);
    }
  }
  return { signer, entries };
}
