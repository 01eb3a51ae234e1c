/**
 * A small measured-image stand-in for the `cvm` tests: an initrd (newc cpio)
 * holding what the real one holds of sealflow — the provisioner, launch.json
 * for this master and the fixed unit — but not node and its libraries (the
 * stand-in qemu runs the host's node at the unit's path), a placeholder
 * kernel and firmware, and the recorded evidence the stand-in's configfs-tsm
 * model hands out: the real Genoa report + certificate table (`sev_guest`) or
 * the real TDX v4 quote (`tdx_guest`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cvmLaunchConfig } from '../../src/master/cvm-vm.js';
import { cvmUnit, UNIT_NAME } from '../../src/tee/cvm/index.js';
import { provisionerBundle } from '../../src/tee/provisioner-bundle.js';
import { attestationData } from '../helpers/shared.js';
import { writeNewc, type CpioEntry } from './cpio.js';
import type { StandIns } from './standins.js';

export interface TestImage {
  readonly kernel: string;
  readonly initrd: string;
  readonly firmware: string;
  /** The configfs-tsm and fw_cfg roots launch.json names (the replay knobs; measured). */
  readonly tsm: string;
  readonly fwCfg: string;
  readonly launchJson: string;
}

const file = (name: string, data: string | Buffer, mode = 0o644): CpioEntry => ({ name, type: 'file', data: Buffer.from(data), mode });

/** Builds the image under `parent` for the master with `pin`, and loads `guest`'s recorded evidence into the stand-in's model. */
export function testImage(parent: string, pin: string, guest: 'sev-snp' | 'tdx', tools: StandIns, o: { concurrentWriter?: boolean } = {}): TestImage {
  const dir = mkdtempSync(path.join(parent, 'image-'));
  const tsm = path.join(dir, 'tsm-report');
  const fwCfg = path.join(dir, 'fw_cfg-by_name');
  const launchJson = cvmLaunchConfig(pin, { kind: 'configfs-tsm', root: tsm }, fwCfg);
  const entries: CpioEntry[] = [
    { name: 'opt', type: 'dir', data: Buffer.alloc(0), mode: 0o755 },
    file('opt/sealflow/provisioner.mjs', provisionerBundle().code),
    file('opt/sealflow/launch.json', launchJson),
    file(`etc/systemd/system/${UNIT_NAME}`, cvmUnit(process.execPath)),
    { name: `etc/systemd/system/multi-user.target.wants/${UNIT_NAME}`, type: 'symlink', data: Buffer.from(`../${UNIT_NAME}`), mode: 0o777 },
  ];
  const img = { kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.img'), firmware: path.join(dir, 'OVMF.fd') };
  writeFileSync(img.kernel, 'stand-in kernel: never booted\n');
  writeFileSync(img.firmware, 'stand-in firmware: never run\n');
  writeFileSync(img.initrd, writeNewc(entries));
  const ev = path.join(tools.bin, 'cvm-evidence');
  rmSync(ev, { recursive: true, force: true });
  mkdirSync(ev);
  if (guest === 'sev-snp') {
    const doc = JSON.parse(readFileSync(attestationData('sev-snp', 'genoa-v3-configfs-tsm', 'tsm-report.json'), 'utf8')) as { outblob: string; auxblob: string };
    writeFileSync(path.join(ev, 'outblob'), Buffer.from(doc.outblob, 'base64url'));
    writeFileSync(path.join(ev, 'auxblob'), Buffer.from(doc.auxblob, 'base64url'));
    writeFileSync(path.join(ev, 'provider'), 'sev_guest\n');
  } else {
    writeFileSync(path.join(ev, 'outblob'), readFileSync(attestationData('tdx', 'v4-spr', 'quote.dat')));
    writeFileSync(path.join(ev, 'provider'), 'tdx_guest\n');
  }
  if (o.concurrentWriter === true) writeFileSync(path.join(ev, 'concurrent-writer'), '');
  return { ...img, tsm, fwCfg, launchJson };
}
