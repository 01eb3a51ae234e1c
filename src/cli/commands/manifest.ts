/**
 * `sealflow manifest`: the owner's side of data in place
 * (docs/connectors/data-in-place.md). On the host that holds the data:
 * `keygen` makes the owner's Ed25519 signing key, `add` lists age files
 * (their path there, SHA-256, size, header), `sign` signs the list; the
 * master's run configuration names the manifest and the signer's public key.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { readSigningKey, writeSigningKey } from '../../crypto/sign-key.js';
import { manifestEntry } from '../../master/data/add.js';
import { MANIFEST_FORMAT, manifestText, parseManifest, signManifest, verifyManifest, type Manifest } from '../../master/data/manifest.js';

function readManifest(file: string): Manifest {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read the manifest (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseManifest(bytes, file);
}

/** Writes `m` to `file` whole or not at all (a temporary file renamed over it). */
function writeManifest(file: string, m: Manifest): void {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, manifestText(m), { mode: 0o644, flag: 'wx' });
  fs.renameSync(tmp, file);
}

export function register(program: Command): void {
  const cmd = program.command('manifest').summary('data already on a host: the owner signs a manifest of its ciphertexts').description(
    'Inputs that already sit on a deployment\'s hosts, encrypted there to the broker recipient, are admitted by a\n' +
      'manifest of their ciphertexts (path on the host, SHA-256, size, age header) signed with the owner\'s key.\n' +
      'See docs/connectors/data-in-place.md.',
  );
  cmd
    .command('keygen')
    .description('generate the owner\'s Ed25519 signing key (PKCS#8 PEM, mode 0600, never overwritten) and print its public key')
    .requiredOption('-o, --output <file>', 'where to write the signing key')
    .action(async (opts: { output: string }) => {
      process.stdout.write(`${await writeSigningKey(opts.output)}\n`);
    });
  cmd
    .command('add')
    .description('hash age files on this host into MANIFEST (created if absent; an existing signature is dropped: sign again)')
    .argument('<manifest>', 'the manifest JSON file')
    .argument('<files...>', 'age files encrypted to the broker recipient')
    .action(async (file: string, files: string[]) => {
      const m: Manifest = fs.existsSync(file) ? readManifest(file) : { format: MANIFEST_FORMAT, entries: [] };
      const byPath = new Map(m.entries.map((e) => [e.path, e]));
      for (const f of files) {
        const e = await manifestEntry(f);
        byPath.set(e.path, e);
        process.stderr.write(`${e.path}: ${e.size} bytes, sha256 ${e.sha256}\n`);
      }
      const next: Manifest = { format: MANIFEST_FORMAT, entries: [...byPath.values()] };
      parseManifest(Buffer.from(manifestText(next)), file); // within the limits a master accepts
      writeManifest(file, next);
    });
  cmd
    .command('sign')
    .description('sign MANIFEST with the owner\'s signing key (replaces any signature)')
    .argument('<manifest>', 'the manifest JSON file')
    .requiredOption('-k, --key <file>', 'the owner\'s signing key (from `sealflow manifest keygen`)')
    .action(async (file: string, opts: { key: string }) => {
      const signed = signManifest(readManifest(file), await readSigningKey(opts.key));
      writeManifest(file, signed);
      process.stdout.write(`${signed.signature?.signer ?? ''}\n`);
    });
  cmd
    .command('verify')
    .description('check that MANIFEST is signed by SIGNER and unchanged since')
    .argument('<manifest>', 'the manifest JSON file')
    .requiredOption('--signer <public key>', 'the signer\'s public key (ed25519:…)')
    .action((file: string, opts: { signer: string }) => {
      const m = readManifest(file);
      verifyManifest(m, opts.signer, file);
      process.stdout.write(`${file}: ${m.entries.length} entr${m.entries.length === 1 ? 'y' : 'ies'}, signed by ${opts.signer}\n`);
    });
}
