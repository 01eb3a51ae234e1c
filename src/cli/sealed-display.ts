/**
 * Final non-file outputs of an encrypted run are sealed values (docs/protocol.md
 * §10.2): `outputs.json` keeps them sealed; the terminal (and `--json`) shows
 * them decrypted with the local owner identity when it is the one they were
 * sealed to. Otherwise each stays a note saying how to read it.
 */
import fs from 'node:fs';
import { openSmall } from '../crypto/oneshot.js';
import { readIdentityFile } from '../crypto/keyfile.js';
import type { Identity } from '../crypto/types.js';
import { ownerIdentityFile } from '../master/local-master.js';
import { hasSealedValue, revealValues } from '../protocol/sealed-values.js';
import type { PortValue } from '../workflow/model.js';

const NOTE = 'sealed to the owner recipient: jq -r \'.<output>.age\' outputs.json | sealflow decrypt -i <owner identity>';

/** `values` with every sealed value decrypted for display, where the local owner identity can. */
export async function revealForOwner(values: Readonly<Record<string, PortValue>>, identityFile = ownerIdentityFile()): Promise<Record<string, PortValue>> {
  if (!hasSealedValue(values)) return { ...values };
  let ids: Identity[] = [];
  if (fs.existsSync(identityFile)) ids = await readIdentityFile(identityFile).catch(() => []);
  const out: Record<string, PortValue> = {};
  for (const [k, v] of Object.entries(values)) {
    try {
      out[k] = revealValues(v, (age) => openSmall(ids, age).toString('utf8'));
    } catch {
      out[k] = { sealed: NOTE.replace('<output>', k) };
    }
  }
  return out;
}
