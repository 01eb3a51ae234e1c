/**
 * A short sanity loop over this section's fuzz targets (collateral files,
 * the preview's file-kind sniffer) until the shared runner (test/fuzz/run.ts)
 * takes them: fixed-seed byte flips and truncations of each seed must be
 * accepted or refused with the project's own error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../helpers/bytes.js';
import type { FuzzTarget } from './target.js';
import { targets as collateral } from './targets/collateral-file.js';
import { targets as fileKind } from './targets/file-kind.js';

const ROUNDS = 300;

function mutate(seed: Uint8Array, rand: () => number): Uint8Array {
  const m = Buffer.from(seed);
  const flips = 1 + Math.floor(rand() * 4);
  for (let j = 0; j < flips && m.length > 0; j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
  return rand() < 0.3 ? m.subarray(0, Math.floor(rand() * m.length)) : m;
}

describe('fuzz targets of the CLI section', () => {
  for (const t of [...collateral, ...fileKind] as FuzzTarget[]) {
    test(`${t.name}: ${ROUNDS} mutated inputs are each accepted or refused with the project's own error`, async () => {
      const seeds = await t.seeds();
      const rand = prng(11);
      for (let i = 0; i < ROUNDS; i++) {
        const input = mutate(seeds[i % seeds.length]!, rand);
        try {
          await t.run(input);
        } catch (err) {
          assert.ok(t.isOwnError(err), `input ${Buffer.from(input).toString('base64')}: ${String(err)}`);
        }
      }
    });
  }
});
