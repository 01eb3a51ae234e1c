/**
 * The run's inputs as the key broker records them (docs/protocol.md §8,
 * §10.1, §10.6): an owner's age file is recorded as it is (its file key
 * unwrapped now, so a file not encrypted to the broker is refused at once),
 * a plaintext file or directory is sealed to the broker, and data already on
 * a deployment's hosts is admitted from its owner-signed manifest without
 * being read (data-in-place.md). One admission per file per run.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Header } from '../crypto/filekey.js';
import type { X25519Recipient } from '../crypto/x25519.js';
import { inPlaceRef } from '../workflow/in-place.js';
import type { KeyBroker } from './broker/broker.js';
import { fileKeyOf } from './broker/file-keys.js';
import { recordCiphertext } from './broker/release.js';
import { BrokerRefusal } from './broker/types.js';
import { recordAgeInput, sealPlainInput } from './admit-file.js';
import { inPlaceHeader, type InPlaceInput } from './data/admit.js';
import { admitDirectory } from './sealed-values.js';

const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n');

export class InputAdmission {
  readonly #admitted = new Map<string, Promise<string>>();
  /** §10.6: resume hashes (HMAC under the run hash key) of plaintext inputs, taken in their admission pass. */
  readonly #keyed = new Map<string, string>();

  constructor(
    private readonly broker: KeyBroker,
    /** The run's master directory: sealed plaintext inputs go under it. */
    private readonly dir: string,
    /** The broker's recipient: what plaintext inputs are sealed to. */
    private readonly recipient: X25519Recipient,
    private readonly hashKey: Uint8Array | undefined,
    private readonly data: ReadonlyMap<string, InPlaceInput>,
  ) {}

  admit(file: string): Promise<string> {
    if (this.broker.hashes.has(file)) return Promise.resolve(file);
    let p = this.#admitted.get(file);
    if (!p) {
      // One admission per file, however many steps read it at once.
      p = this.#admit(file);
      this.#admitted.set(file, p);
      p.catch(() => this.#admitted.delete(file));
    }
    return p;
  }

  async #admit(file: string): Promise<string> {
    const inPlace = this.data.get(file);
    if (inPlace) {
      // On a deployment's hosts: admitted from the signed manifest, the file never read (data-in-place.md).
      const header = await inPlaceHeader(file, inPlace);
      this.#unwrapAtAdmission(file, inPlace.sha256, header);
      recordCiphertext(this.broker, 'input', file, inPlace.sha256, header);
      return file;
    }
    if (inPlaceRef(file)) throw new Error(`input ${file} names a file on a deployment's hosts that no signed data manifest of this run lists`);
    if (fs.statSync(file).isDirectory()) {
      const d = await admitDirectory(file, this.dir, [this.recipient]); // §10.1
      recordCiphertext(this.broker, 'input', d.path, d.sha256);
      return d.path;
    }
    const fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(AGE_MAGIC.length);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    if (head.equals(AGE_MAGIC)) {
      const r = await recordAgeInput(file);
      this.#unwrapAtAdmission(file, r.sha256, r.header);
      recordCiphertext(this.broker, 'input', file, r.sha256, r.header);
      return file;
    }
    const sealed = path.join(fs.mkdtempSync(path.join(this.dir, 'input-')), `${path.basename(file)}.age`);
    const r = await sealPlainInput(file, sealed, [this.recipient], this.hashKey); // read once, hashed as written (§8.1, §10.6)
    this.#unwrapAtAdmission(sealed, r.sha256, r.header);
    recordCiphertext(this.broker, 'input', sealed, r.sha256, r.header);
    if (r.keyed !== undefined) this.#keyed.set(file, r.keyed);
    return sealed;
  }

  /** An owner input's file key is unwrapped with the broker identity here, at admission, and kept (§8.2, §16.3); a file not encrypted to the broker is refused now. */
  #unwrapAtAdmission(file: string, sha256: string, header: Header | null): void {
    if (!header) return; // unwrapped at its first release, with the broker identity all the same
    try {
      fileKeyOf(this.broker, file, sha256, header, 'input', this.broker.opts.identities).fill(0);
    } catch (e) {
      if (!(e instanceof BrokerRefusal)) throw e;
      throw new Error(`input ${file}: ${e.message}; encrypt it with \`sealflow encrypt\` to this master's broker recipient, or give it as plaintext`);
    }
  }

  /** Where deployment `deployment`'s hosts hold in-place input `id`, or undefined if it is not one (the stager copies it). */
  inPlaceOn(deployment: string): (id: string) => { path: string; size: number } | undefined {
    return (id) => {
      const d = this.data.get(id);
      if (!d) return undefined;
      if (d.deployment !== deployment) throw new Error(`input ${id} is on deployment ${d.deployment}'s hosts, not on deployment ${deployment}'s`);
      return { path: d.path, size: d.size };
    };
  }

  /** §10.6: the resume hash of plaintext input `file` from its admission pass (awaiting it), or undefined (not admitted as plaintext, or failed). */
  async keyedDigest(file: string): Promise<string | undefined> {
    const p = this.#admitted.get(file);
    if (p) await p.catch(() => undefined);
    return this.#keyed.get(file);
  }
}
