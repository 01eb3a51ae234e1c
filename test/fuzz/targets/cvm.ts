/**
 * Fuzz targets of the `cvm` platform: the fw_cfg item a measured provisioner
 * reads its unmeasured values from (written by the untrusted host,
 * src/worker/provisioner/unmeasured.ts `readFwCfgUnmeasured`), and the newc
 * cpio reader the stand-in qemu reads an initrd with (test/tee/cpio.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FW_CFG_BUNDLE, FW_CFG_UNMEASURED } from '../../../src/protocol/launch-config.js';
import { readFwCfgUnmeasured, UnmeasuredError } from '../../../src/worker/provisioner/unmeasured.js';
import { CpioError, readNewc, writeNewc } from '../../tee/cpio.js';
import type { FuzzTarget } from '../target.js';

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const TICKET = 'A'.repeat(43);

export const targets: FuzzTarget[] = [
  {
    name: 'cvm-fw-cfg-unmeasured',
    seeds: () => [
      text(JSON.stringify({ version: 1, master: '10.0.2.100:7443', slot: 'vms-1', bundle: FW_CFG_BUNDLE, ticket: TICKET })),
      text(JSON.stringify({ version: 1, master: '[::1]:1', slot: 'a', bundle: '/run/sealflow/executor.bundle', ticket: TICKET })),
    ],
    // Through the file the guest kernel shows (<root>/<name>/raw), as the provisioner reads it.
    run: async (input) => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'sealflow-fuzz-fwcfg-'));
      try {
        mkdirSync(path.join(root, FW_CFG_UNMEASURED), { recursive: true });
        writeFileSync(path.join(root, FW_CFG_UNMEASURED, 'raw'), input);
        return await readFwCfgUnmeasured(root);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    isOwnError: (e) => e instanceof UnmeasuredError,
  },
  {
    name: 'cvm-initrd-cpio',
    seeds: () => [
      new Uint8Array(writeNewc([
        { name: 'opt', type: 'dir', data: Buffer.alloc(0), mode: 0o755 },
        { name: 'opt/sealflow/launch.json', type: 'file', data: Buffer.from('{"version":1}\n'), mode: 0o644 },
        { name: 'etc/systemd/system/multi-user.target.wants/x.service', type: 'symlink', data: Buffer.from('../x.service'), mode: 0o777 },
      ])),
    ],
    run: (input) => readNewc(input),
    isOwnError: (e) => e instanceof CpioError,
  },
];
