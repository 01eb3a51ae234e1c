/**
 * The CWL version of the dna-alignment example (examples/dna-alignment/cwl/,
 * written the way public tool libraries write tools: JavaScript expressions,
 * `runtime.cores`, `format`, secondary files) gives the same alignments
 * through sealflow's attested, encrypted mode as through `cwltool
 * --no-container`: equal alignment records and header lines of the sorted
 * BAM, `@PG` lines aside (they carry command lines and temporary paths),
 * and the same flagstat. CI time: about 50 s on 2 busy cores.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { needs } from '../helpers/needs.js';

const DIR = path.join(REPO, 'examples', 'dna-alignment', 'cwl');
const RUNNER = path.join(REPO, 'dist', 'src', 'cli', 'cwl', 'runner.js');

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

/** Header lines without @PG, and the alignment records, of a BAM. */
function alignments(bam: string): { header: string[]; records: string[] } {
  return { header: run('samtools', ['view', '-H', bam]).split('\n').filter((l) => l !== '' && !l.startsWith('@PG')), records: run('samtools', ['view', bam]).split('\n') };
}

test('the CWL dna-alignment workflow gives the same alignments and flagstat, attested and encrypted, as cwltool --no-container', { skip: needs(['bowtie2', 'bowtie2-examples', 'samtools', 'cwltool']) }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-dna-cwl-'));
  try {
    const env = { ...process.env, SEALFLOW_HOME: path.join(work, 'home') };
    const ours = JSON.parse(run(process.execPath, [RUNNER, '--quiet', '--state-dir', path.join(work, 'state'), '--outdir', path.join(work, 'sealflow'), path.join(DIR, 'dna-alignment.cwl'), path.join(DIR, 'job.yml')], env)) as Record<string, { path: string; checksum: string }>;
    const theirs = JSON.parse(run('cwltool', ['--no-container', '--quiet', '--outdir', path.join(work, 'cwltool'), path.join(DIR, 'dna-alignment.cwl'), path.join(DIR, 'job.yml')])) as Record<string, { path: string; checksum: string }>;
    const a = alignments(ours['bam']!.path);
    const b = alignments(theirs['bam']!.path);
    assert.ok(a.records.length > 10_000, `only ${a.records.length} alignment records`);
    assert.deepEqual(a.header, b.header);
    assert.equal(a.records.length, b.records.length);
    assert.ok(a.records.every((r, i) => r === b.records[i]), 'alignment records differ');
    assert.equal(ours['flagstat']!.checksum, theirs['flagstat']!.checksum);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
