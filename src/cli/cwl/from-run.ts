/**
 * `sealflow run workflow.cwl job.yml`: a CWL document given to `sealflow
 * run` runs through the CWL runner (docs/workflow-format.md "CWL") with the
 * same choices: attested `sim` and encrypted by default, `--platform none
 * --no-encrypt` plain; `--out` is the runner's `--outdir`.
 */
import path from 'node:path';

export function isCwlDocument(file: string | undefined): file is string {
  return file !== undefined && /\.cwl(#.*)?$/.test(file);
}

export async function runCwlFromSealflow(doc: string, job: string | undefined, opts: { platform?: string; encrypt: boolean; out?: string; quiet?: boolean; stateDir?: string }): Promise<void> {
  const args = [
    '--outdir',
    path.resolve(opts.out ?? '.'),
    '--platform',
    opts.platform ?? 'sim',
    ...(opts.encrypt ? [] : ['--no-encrypt']),
    ...(opts.stateDir !== undefined ? ['--state-dir', opts.stateDir] : []),
    ...(opts.quiet ? ['--quiet'] : []),
    doc,
    ...(job !== undefined ? [job] : []),
  ];
  const { main } = await import('./runner.js'); // the CWL runner loads only for a .cwl workflow
  process.exitCode = await main(args);
}
