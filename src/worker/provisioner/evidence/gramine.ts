/**
 * Guest evidence under Gramine (docs/tee-platforms.md "gramine"): its
 * attestation pseudo-files. Check `attestation_type` is `dcap`, write the 64
 * bytes of report data to `user_report_data`, read `quote`. Node built-ins only.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const GRAMINE_ROOT = '/dev/attestation';

export async function gramineEvidence(rd: Buffer, root = GRAMINE_ROOT): Promise<Buffer> {
  const type = (await readFile(path.join(root, 'attestation_type'), 'utf8')).trim();
  if (type !== 'dcap') throw new Error(`${root}/attestation_type is "${type}", not "dcap" (the manifest must set sgx.remote_attestation = "dcap")`);
  await writeFile(path.join(root, 'user_report_data'), rd);
  return readFile(path.join(root, 'quote'));
}

/** The encrypted scratch mount's key: 16 bytes from the CSPRNG inside the enclave, set before any step runs. */
export async function setScratchKey(name: string, root = GRAMINE_ROOT): Promise<void> {
  await writeFile(path.join(root, 'keys', name), randomBytes(16));
}

/**
 * Occlum's file-based DCAP interface (/dev/attestation_report_data,
 * /dev/attestation_quote; an Occlum release with these devfs nodes — the
 * classic ioctl on /dev/sgx cannot be made from Node built-ins).
 */
export async function occlumEvidence(rd: Buffer, root = '/dev'): Promise<Buffer> {
  await writeFile(path.join(root, 'attestation_report_data'), rd);
  return readFile(path.join(root, 'attestation_quote'));
}
