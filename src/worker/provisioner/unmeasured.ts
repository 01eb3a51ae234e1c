/**
 * The unmeasured values of docs/protocol.md §3 (master address, slot, bundle
 * path, and the slot's launch ticket, §3a) as the SGX and CVM launchers hand them to the measured provisioner:
 * unmeasured.json in its working directory, never argv or the environment
 * (which the measurement fixes). Parsed strictly here; a host that lies in it
 * achieves nothing the pin, the report data and the signed bundle hash do not
 * catch. Node built-ins only.
 */
export interface Unmeasured {
  readonly host: string;
  readonly port: number;
  readonly slot: string;
  readonly bundle: string;
  readonly ticket: string;
}

export const UNMEASURED_FILE = 'unmeasured.json';

/** unmeasured.json is not what the launcher writes; the message says what is wrong. */
export class UnmeasuredError extends Error {}
const MAX = 4096;

/** Throws an Error saying what is wrong; never returns a partial value. */
export function parseUnmeasured(text: string): Unmeasured {
  if (text.length > MAX) throw new UnmeasuredError(`${UNMEASURED_FILE} is longer than ${MAX} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UnmeasuredError(`${UNMEASURED_FILE} is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UnmeasuredError(`${UNMEASURED_FILE} is not a JSON object`);
  const o = doc as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'bundle,master,slot,ticket,version' || o['version'] !== 1) throw new UnmeasuredError(`${UNMEASURED_FILE} must hold exactly version 1, master, slot, bundle and ticket`);
  const { master, slot, bundle, ticket } = o;
  const m = typeof master === 'string' ? /^([A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:.]{2,45}\]):(\d{1,5})$/.exec(master) : null;
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UnmeasuredError(`${UNMEASURED_FILE}: master must be host:port`);
  if (typeof slot !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(slot)) throw new UnmeasuredError(`${UNMEASURED_FILE}: slot must be 1-128 of [A-Za-z0-9_.-]`);
  if (typeof bundle !== 'string' || bundle.length === 0 || bundle.length > 1024 || bundle.includes('\0')) throw new UnmeasuredError(`${UNMEASURED_FILE}: bundle must be a path`);
  if (typeof ticket !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(ticket)) throw new UnmeasuredError(`${UNMEASURED_FILE}: ticket must be the slot's launch ticket (43 base64url characters)`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]), slot, bundle, ticket };
}
