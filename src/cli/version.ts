/** The version `sealflow --version` prints: its own module, so the installed entry (bin.ts) answers it before anything else loads. */
export const VERSION = process.env['npm_package_version'] ?? '0.1.0';

/** `sealflow --version` (alone). */
export function isVersionOnly(argv: readonly string[]): boolean {
  return argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V');
}
