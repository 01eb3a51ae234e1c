/** The CLI's repeated `--input name=value` flag (its own module: `sealflow run --help` loads only this of the workflow front-end). */
import { InputError } from '../errors.js';

/** Splits `name=value` (for the CLI's repeated --input flag). */
export function parseInputFlag(flag: string, into: Record<string, string> = {}): Record<string, string> {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new InputError(`--input ${flag}: expected name=value, e.g. --input reads1=data/r1.fq.`);
  into[flag.slice(0, eq)] = flag.slice(eq + 1);
  return into;
}
