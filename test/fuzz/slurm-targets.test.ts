/**
 * A short loop over the slurm transport's fuzz targets
 * (test/fuzz/targets/slurm-output.ts) until the shared runner takes them:
 * fixed-seed byte flips, truncations and insertions of Slurm-ish fragments
 * must each be accepted or refused with the project's own error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../helpers/bytes.js';
import { targets } from './targets/slurm-output.js';

const FRAGMENTS = ['|', '\n', '(', ')', 'PENDING', 'RUNNING', ';', '0', '99999999999', ',', '\u0000', '"', '[', 'é'];

function mutate(seed: Uint8Array, rand: () => number): Uint8Array {
  const b = Buffer.from(seed);
  const at = Math.floor(rand() * (b.length + 1));
  switch (Math.floor(rand() * 4)) {
    case 0:
      if (b.length > 0) b[at % b.length] = Math.floor(rand() * 256);
      return b;
    case 1:
      return b.subarray(0, at);
    case 2:
      return Buffer.concat([b.subarray(0, at), Buffer.from(FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)]!), b.subarray(at)]);
    default:
      return Buffer.concat([b.subarray(0, at), b.subarray(at).subarray(0, 40), b.subarray(at)]);
  }
}

for (const t of targets) {
  test(`fuzz target ${t.name} accepts or refuses 400 mutated inputs with the project's own error`, async () => {
    const rand = prng(0x51a7);
    const seeds = await t.seeds();
    for (let i = 0; i < 400; i++) {
      const input = mutate(seeds[i % seeds.length]!, rand);
      try {
        await t.run(input);
      } catch (e) {
        assert.ok(t.isOwnError(e), `input ${JSON.stringify(Buffer.from(input).toString('utf8').slice(0, 200))} threw ${String(e)}`);
      }
    }
  });
}
