/**
 * Interoperability with the real `age` tool (Debian package `age`): files
 * encrypted by age decrypt with sealflow and vice versa, binary and armored,
 * to one and to three recipients, at chunk-boundary sizes and ~10 MB.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt, encrypt, X25519Identity, X25519Recipient } from '../../src/crypto/index.js';
import { identityFileText, parseIdentities } from '../../src/crypto/keyfile.js';
import { age, ageKeygen, ageKeygenY, ageMissing } from '../helpers/age.js';
import { collect, pseudoRandomBytes } from '../helpers/bytes.js';

const SIZES = [0, 1, 65535, 65536, 65537, 3 * 65536, 10_000_000];
const skip = ageMissing;

describe('interop with the age CLI', { skip }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-interop-'));
  // Three recipients: one made by age-keygen, two by sealflow.
  const fromAge = ageKeygen();
  const ageIdentity = parseIdentities(fromAge.keyFile, 'age-keygen output')[0]!;
  const ours = [X25519Identity.generate(), X25519Identity.generate()];
  const identities = [ageIdentity, ...ours];
  const keyFiles = identities.map((id, i) => {
    const f = path.join(dir, `key${i}.txt`);
    writeFileSync(f, i === 0 ? fromAge.keyFile : identityFileText(id), { mode: 0o600 });
    return f;
  });
  const recipients = identities.map((id) => id.recipient());

  test('a key made by age-keygen has the recipient age-keygen -y prints', () => {
    assert.equal(ageIdentity.recipient().toString(), fromAge.recipient);
  });

  test('age-keygen -y derives the same recipient as sealflow from a sealflow identity file', () => {
    assert.equal(ageKeygenY(keyFiles[1]!), ours[0]!.recipient().toString());
  });

  for (const armor of [false, true]) {
    for (const count of [1, 3]) {
      for (const size of SIZES) {
        const label = `${size} bytes, ${count} recipient(s), ${armor ? 'armored' : 'binary'}`;
        const plaintext = pseudoRandomBytes(size);
        // With three recipients, decrypt with the last one so a non-first stanza is exercised.
        const which = count - 1;

        test(`age decrypts what sealflow encrypted: ${label}`, async () => {
          const ct = await collect(encrypt(recipients.slice(0, count), plaintext, { armor }));
          if (armor) assert.match(ct.toString('latin1', 0, 40), /^-----BEGIN AGE ENCRYPTED FILE-----\n/);
          assert.deepEqual(age(['-d', '-i', keyFiles[which]!], ct), plaintext);
        });

        test(`sealflow decrypts what age encrypted: ${label}`, async () => {
          const args = recipients.slice(0, count).flatMap((r) => ['-r', r.toString()]);
          const ct = age([...args, ...(armor ? ['-a'] : [])], plaintext);
          const wrongFirst = [X25519Identity.generate(), identities[which]!];
          assert.deepEqual(await collect(decrypt(wrongFirst, ct)), plaintext);
        });
      }
    }
  }

  test('age parses a recipient string that sealflow prints', () => {
    const r = X25519Recipient.parse(recipients[2]!.toString());
    const ct = age(['-r', r.toString()], Buffer.from('hello'));
    assert.ok(ct.toString('latin1').startsWith('age-encryption.org/v1\n-> X25519 '));
  });
});
