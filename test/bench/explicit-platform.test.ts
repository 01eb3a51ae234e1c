/**
 * The examples' own sealflow.yaml (attested sim, so that `sealflow run
 * examples/<name>` runs as sealflow is meant to) must not change what a
 * benchmark row measures: every sealflow configuration the harness runs names
 * its platform on the command line (`--platform`, or `--config` for mixes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EXAMPLES } from '../../examples/catalog.js';
import { detectCapabilities, planMatrix } from '../../src/bench/matrix.js';
import { probeRunOptions } from '../../src/cli/commands/bench.js';
import { commandFor } from '../../src/bench/run-bench.js';

test('every benchmark run of every example names its platform explicitly, so the example defaults do not change the rows', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'sealflow-bench-argv-'));
  try {
    const caps = detectCapabilities(probeRunOptions());
    const runnable = planMatrix(caps).filter((p) => p.notRun === null && p.config.kind !== 'native');
    assert.ok(runnable.length >= 2, 'none and sim run here');
    for (const ex of Object.keys(EXAMPLES)) {
      for (const threads of ex === 'dna-alignment' ? [null, 2] : [null]) {
        for (const { config } of runnable) {
          const argv = await commandFor(config, ex, {}, threads, caps, tmp, path.join(tmp, 'work'));
          const platform = argv.indexOf('--platform');
          const explicit = platform >= 0 ? argv[platform + 1] : argv.includes('--config') ? 'config' : undefined;
          assert.ok(explicit !== undefined, `${ex} ${config.id}: ${argv.join(' ')}`);
        }
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
