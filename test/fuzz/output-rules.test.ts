/**
 * A short loop over the output-rules fuzz targets (test/fuzz/targets/output-rules.ts)
 * with byte flips, truncations and insertions from a fixed seed: every input is
 * accepted or refused with an ReportRefusal. The full runner does the long runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../helpers/bytes.js';
import { targets } from './targets/output-rules.js';

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
      return Buffer.concat([b.subarray(0, at), Buffer.from(['/..', '[', '{"class":"File","path":', '"', '\u0000', '/dev/zero'][Math.floor(rand() * 6)] ?? ''), b.subarray(at)]);
    default:
      return Buffer.concat([b.subarray(0, at), b.subarray(at).subarray(0, 40), b.subarray(at)]);
  }
}

for (const t of targets) {
  test(`fuzz target ${t.name} accepts or refuses 400 mutated inputs with the project's own error`, async () => {
    const rand = prng(0x5eed);
    const seeds = await t.seeds();
    for (let i = 0; i < 400; i++) {
      const input = mutate(seeds[i % seeds.length] as Uint8Array, rand);
      try {
        await t.run(input);
      } catch (e) {
        assert.ok(t.isOwnError(e), `input ${JSON.stringify(Buffer.from(input).toString('utf8').slice(0, 200))} threw ${String(e)}`);
      }
    }
  });
}
