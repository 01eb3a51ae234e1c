/**
 * `--master-key KEY` for the owner's commands: the master the owner trusts,
 * given as its pin (64 hex digits, as `sealflow master key --pin` prints),
 * or a file holding its public key — the output of `sealflow master key`
 * (PEM, then `pin: …`), a PEM public key, a master.json, or a pin.
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import { keyPin } from '../../crypto/master-key.js';
import { InputError } from '../../errors.js';
import type { ExpectedMaster } from './signature.js';

const PIN = /^(?:sha256:)?([0-9a-f]{64})$/i;
const PEM = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/;

function fromPem(pem: string, where: string): ExpectedMaster {
  try {
    return { pin: keyPin(createPublicKey(pem)) };
  } catch (e) {
    throw new InputError(`${where}: the public key does not parse (${(e as Error).message})`);
  }
}

export function expectedMaster(arg: string): ExpectedMaster {
  const direct = PIN.exec(arg.trim());
  if (direct?.[1] !== undefined && !fs.existsSync(arg)) return { pin: direct[1].toLowerCase() };
  let text: string;
  try {
    text = fs.readFileSync(arg, 'utf8');
  } catch (e) {
    throw new InputError(`--master-key ${arg}: not a pin (64 hex digits) and not a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the output of "sealflow master key"`);
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || text.includes('AGE-SECRET-KEY-')) {
    throw new InputError(`--master-key ${arg}: this file holds a private key; give the master's PUBLIC key ("sealflow master key" prints it) and keep the private key where it was`);
  }
  const pem = PEM.exec(text)?.[0];
  if (pem !== undefined) return fromPem(pem, arg);
  try {
    const j = JSON.parse(text) as { signingPublicKey?: unknown };
    if (typeof j.signingPublicKey === 'string') return fromPem(j.signingPublicKey, arg);
  } catch {
    // not JSON: maybe a pin
  }
  const line = /^(?:pin:\s*)?((?:sha256:)?[0-9a-f]{64})\s*$/im.exec(text)?.[1];
  const pin = line !== undefined ? PIN.exec(line)?.[1] : undefined;
  if (pin !== undefined) return { pin: pin.toLowerCase() };
  throw new InputError(`--master-key ${arg}: the file holds neither a PEM public key nor a pin; give the output of "sealflow master key" or the 64-hex pin`);
}
