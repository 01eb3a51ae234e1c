/**
 * `sealflow run workflow.cwl job.yml`: a CWL document given to `sealflow
 * run` runs through the CWL runner (docs/workflow-format.md "CWL"). This
 * version runs CWL plain only, so it asks for `--platform none
 * --no-encrypt` explicitly rather than quietly dropping the encryption a
 * sealflow run has by default.
 */
import path from 'node:path';
import { InputError } from '../../errors.js';
import { main } from './runner.js';

export function isCwlDocument(file: string | undefined): file is string {
  return file !== undefined && /\.cwl(#.*)?$/.test(file);
}

export async function runCwlFromSealflow(doc: string, job: string | undefined, opts: { platform?: string; encrypt: boolean; out?: string; quiet?: boolean }): Promise<void> {
  if (opts.platform !== 'none' || opts.encrypt) {
    throw new InputError(`${doc}: CWL documents run plain in this version (attested, encrypted CWL runs are not there yet); add --platform none --no-encrypt`);
  }
  const args = ['--outdir', path.resolve(opts.out ?? '.'), ...(opts.quiet ? ['--quiet'] : []), doc, ...(job !== undefined ? [job] : [])];
  process.exitCode = await main(args);
}
