/**
 * Errors from reading an age file. Both are `OperationError`s (exit status 1):
 * the file was read and could not be decrypted. Malformed *keys* and
 * *recipients* are `InputError`s raised where they are parsed.
 */
import { OperationError } from '../errors.js';

/** None of the given identities can unwrap the file key. */
export class NoIdentityMatchError extends OperationError {
  constructor(detail?: string) {
    super(
      `no identity matches any recipient of this file${detail ? ` (${detail})` : ''}; ` +
        'check that you passed the identity the file was encrypted to',
    );
  }
}

/** Where a file failed authentication or parsing. */
export type CorruptLocation = 'armor' | 'header' | { readonly chunk: number };

/**
 * The file is not a well-formed, authentic age file: a modified byte, a
 * truncation, trailing data, or bad armor. `location` says where.
 */
export class CorruptFileError extends OperationError {
  readonly location: CorruptLocation;
  constructor(location: CorruptLocation, detail: string) {
    const where = typeof location === 'string' ? location : `payload chunk ${location.chunk}`;
    super(`file is corrupt or was modified (${where}): ${detail}`);
    this.location = location;
  }
}
