/**
 * A benchmark's `--help` (or `-h`): prints what it measures and how to run
 * it, then exits 0 before any work is done (nothing is built, spawned or
 * written).
 */
export function helpIfAsked(text: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  process.stdout.write(`${text.trim()}\n`);
  process.exit(0);
}
