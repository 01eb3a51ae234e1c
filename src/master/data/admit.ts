/**
 * Admitting an input already on a deployment's hosts
 * (docs/connectors/data-in-place.md, docs/protocol.md §10.9): from its signed
 * manifest entry alone — the recorded SHA-256 and the age header bytes the
 * owner listed — never reading the file. The header is parsed here and its
 * file key unwrapped with the broker identity at admission, like any owner
 * input's; the worker's hash check refuses a ciphertext that is not the one
 * the manifest recorded before anything is decrypted.
 */
import type { Header } from '../../crypto/filekey.js';
import { headerOf } from '../broker/recorded.js';
import { headerBytes } from './manifest.js';

/** One in-place input of a run (the engine's DataInput), by its id `<deployment>:<path>`. */
export interface InPlaceInput {
  readonly deployment: string;
  /** Absolute path on the deployment's hosts. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** Base64 of the age header bytes (the file's prefix). */
  readonly header: string;
  /** The manifest that listed it. */
  readonly manifest: string;
}

/** The parsed header of an in-place input; throws naming the input if the manifest's bytes do not parse. */
export async function inPlaceHeader(id: string, input: InPlaceInput): Promise<Header> {
  const header = await headerOf(headerBytes(input.header, `${input.manifest}: ${input.path}`));
  if (!header) throw new Error(`input ${id}: the age header ${input.manifest} lists for ${input.path} does not parse; list the file again with \`sealflow manifest add\``);
  return header;
}
