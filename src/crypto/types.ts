/**
 * The two interfaces every age recipient type implements (age v1 spec,
 * "Recipient stanzas"). A file key is always 16 bytes from the CSPRNG.
 */

/** One recipient stanza of an age header: `-> type arg…` plus a binary body. */
export interface Stanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

/** Something a file can be encrypted to: wraps a file key into stanzas. */
export interface Recipient {
  /** Wraps the 16-byte file key into one or more stanzas for this recipient. */
  wrapFileKey(fileKey: Uint8Array): Stanza[];
  /**
   * True if this recipient must be the only one in a file (age spec: an
   * `scrypt` stanza must be alone, so a passphrase-encrypted file cannot be
   * silently shared with a public key).
   */
  readonly mustBeAlone?: boolean;
}

/** Something that can unwrap a file key from one of a file's stanzas. */
export interface Identity {
  /**
   * Returns the 16-byte file key if one of `stanzas` is addressed to this
   * identity, or **null, not an exception, if the file is encrypted to a
   * different key** (other stanza types, or a stanza of this type that does
   * not decrypt under this key), so the caller can try the next identity.
   *
   * Throws only when a stanza of this identity's own type is malformed
   * (wrong argument count, bad base64, wrong body length, a low-order
   * X25519 share): such a header is corrupt, whichever key reads it.
   */
  unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null;
}

export const FILE_KEY_SIZE = 16;
