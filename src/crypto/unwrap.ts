/** Unwrapping a file's key from its header (kept apart so the file-to-file path loads little). */
import { CorruptFileError, NoIdentityMatchError } from './errors.js';
import { verifyHeaderMac, type Header } from './format.js';
import { FILE_KEY_SIZE, type Identity } from './types.js';

/**
 * Returns the file key of `header`, trying each identity in turn, after
 * checking the header MAC under that key. Throws NoIdentityMatchError if no
 * identity matches, CorruptFileError('header') if the header was modified.
 */
export function unwrapFileKey(header: Header, identities: readonly Identity[]): Uint8Array {
  for (const identity of identities) {
    const fileKey = identity.unwrapFileKey(header.stanzas);
    if (fileKey === null) continue;
    if (fileKey.length !== FILE_KEY_SIZE) throw new CorruptFileError('header', 'the unwrapped file key is not 16 bytes');
    if (!verifyHeaderMac(header, fileKey)) throw new CorruptFileError('header', 'the header MAC does not verify');
    return fileKey;
  }
  const types = [...new Set(header.stanzas.map((s) => s.type))].join(', ');
  throw new NoIdentityMatchError(`the file has ${header.stanzas.length} recipient stanza(s) of type ${types || 'none'}`);
}
