/**
 * A short, fixed-seed run of the channel fuzz targets (test/fuzz/targets/
 * channel.ts) until the shared fuzz runner takes them over: every mutated
 * input is accepted or refused with a ProtocolError, never anything else.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { targets } from '../fuzz/targets/channel.js';

/** xorshift32: the same inputs on every machine. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const ATTACKS = ['{"type":"valueOf"}', '{"type":"__proto__"}', '{"type":"constructor"}', '[', '{"a":' + '['.repeat(3000), '\n', '\u0000', '1e999', '"\ud800"', '{"type":"succeeded","outputs":{"__proto__":1}}'];

function mutate(seed: Uint8Array, r: () => number): Uint8Array {
  const b = Buffer.from(seed);
  switch (r() % 5) {
    case 0: {
      const out = Buffer.from(b);
      for (let i = 0, n = 1 + (r() % 4); i < n && out.length > 0; i++) {
        const at = r() % out.length;
        out[at] = (out[at] ?? 0) ^ (1 << r() % 8);
      }
      return out;
    }
    case 1:
      return b.subarray(0, r() % (b.length + 1));
    case 2: {
      const at = r() % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(ATTACKS[r() % ATTACKS.length] ?? ''), b.subarray(at)]);
    }
    case 3: {
      const at = r() % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.alloc(r() % 2048, 0x41 + (r() % 26)), b.subarray(at)]);
    }
    default:
      return Buffer.from(ATTACKS[r() % ATTACKS.length] ?? '');
  }
}

describe('channel fuzz targets, a fixed-seed share', () => {
  for (const t of targets) {
    test(`${t.name}: 1,000 mutated inputs are each accepted or refused with a ProtocolError`, async () => {
      const r = prng(0x5ea1f10 ^ t.name.length);
      const seeds = await t.seeds();
      assert.ok(seeds.length > 0);
      let refused = 0;
      for (let i = 0; i < 1000 + seeds.length; i++) {
        const input = i < seeds.length ? (seeds[i] as Uint8Array) : mutate(seeds[i % seeds.length] as Uint8Array, r);
        try {
          await t.run(input);
        } catch (e) {
          assert.ok(t.isOwnError(e), `${t.name} threw ${String(e)} on ${JSON.stringify(Buffer.from(input).toString('utf8').slice(0, 200))}`);
          refused++;
        }
      }
      assert.ok(refused > 0, 'some mutations are refused');
    });
  }
});
