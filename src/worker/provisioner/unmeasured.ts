/**
 * The unmeasured values of docs/protocol.md §3 (master address, slot, bundle
 * path, and the slot's launch ticket, §3a) as the SGX and CVM launchers hand them to the measured provisioner:
 * unmeasured.json in its working directory, never argv or the environment
 * (which the measurement fixes). Parsed strictly here; a host that lies in it
 * achieves nothing the pin, the report data and the signed bundle hash do not
 * catch. Node built-ins only.
 */
import { open } from 'node:fs/promises';
import { FW_CFG_BUNDLE, FW_CFG_ROOT, FW_CFG_UNMEASURED, splitHostPort } from '../../protocol/launch-config.js';

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
  const at = typeof master === 'string' ? splitHostPort(master) : null;
  if (!at) throw new UnmeasuredError(`${UNMEASURED_FILE}: master must be host:port`);
  if (typeof slot !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(slot)) throw new UnmeasuredError(`${UNMEASURED_FILE}: slot must be 1-128 of [A-Za-z0-9_.-]`);
  if (typeof bundle !== 'string' || bundle.length === 0 || bundle.length > 1024 || bundle.includes('\0')) throw new UnmeasuredError(`${UNMEASURED_FILE}: bundle must be a path`);
  if (typeof ticket !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(ticket)) throw new UnmeasuredError(`${UNMEASURED_FILE}: ticket must be the slot's launch ticket (43 base64url characters)`);
  return { host: at.host, port: at.port, slot, bundle, ticket };
}


/**
 * `cvm`: the unmeasured values from the fw_cfg item FW_CFG_UNMEASURED under
 * `root` (sysfs-firmware-qemu_fw_cfg: `<root>/<name>/raw`), read at most
 * 4 KiB + 1 (a larger item is refused unread), parsed as unmeasured.json,
 * whose `bundle` must name the fw_cfg item FW_CFG_BUNDLE: the bundle is read
 * from `<root>/<FW_CFG_BUNDLE>/raw` and from nowhere else in the guest.
 */
export async function readFwCfgUnmeasured(root = FW_CFG_ROOT): Promise<Unmeasured> {
  const file = `${root}/${FW_CFG_UNMEASURED}/raw`;
  let text: string;
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(MAX + 1);
      let n = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
        if (bytesRead === 0 || (n += bytesRead) === buf.length) break;
      }
      if (n > MAX) throw new UnmeasuredError(`fw_cfg ${FW_CFG_UNMEASURED} is longer than ${MAX} bytes`);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof UnmeasuredError) throw err;
    throw new UnmeasuredError(`fw_cfg ${FW_CFG_UNMEASURED} cannot be read at ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}): the VM must be started with -fw_cfg name=${FW_CFG_UNMEASURED},file=… and a kernel with CONFIG_FW_CFG_SYSFS`);
  }
  let u: Unmeasured;
  try {
    u = parseUnmeasured(text);
  } catch (err) {
    throw new UnmeasuredError(`fw_cfg ${FW_CFG_UNMEASURED}: ${(err as Error).message.replace(`${UNMEASURED_FILE}: `, '').replace(UNMEASURED_FILE, 'it')}`);
  }
  if (u.bundle !== FW_CFG_BUNDLE) throw new UnmeasuredError(`fw_cfg ${FW_CFG_UNMEASURED}: bundle must be the fw_cfg item ${FW_CFG_BUNDLE}, not ${JSON.stringify(u.bundle.slice(0, 80))}: a cvm provisioner reads its bundle from fw_cfg only`);
  return { ...u, bundle: `${root}/${FW_CFG_BUNDLE}/raw` };
}
