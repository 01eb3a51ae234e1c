/**
 * The fast YAML parser (fast-yaml.ts) and the full one (the `yaml` package)
 * must give the same tree, offsets included, or the fast one must decline
 * and leave the text to the full one. Checked on hand-picked tricky texts
 * and on mutations of the YAML fuzz corpus; and YamlSource (fast with its
 * fallback) must accept exactly what the full parser accepts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { parseFast } from '../../src/workflow/fast-yaml.js';
import { parseFull } from '../../src/workflow/yaml-full.js';
import { UnsupportedYaml } from '../../src/workflow/yaml-nodes.js';
import { YamlSource } from '../../src/workflow/yaml-source.js';
import { yamlTooDeepAt } from '../../src/yaml-depth.js';
import { mutate, Prng } from '../fuzz/mutators.js';
import { targets } from '../fuzz/targets/yaml.js';
import { TRICKY } from './yaml-tricky.js';

const N = Number.parseInt(process.env['SEALFLOW_FUZZ_N'] ?? '400', 10);

/** Undefined when both agree; else what differs. */
async function disagreement(text: string): Promise<string | undefined> {
  if (yamlTooDeepAt(text) >= 0) return undefined;
  let full: ReturnType<typeof parseFull>;
  try {
    full = parseFull(text);
  } catch (e) {
    // YAML the loaders do not take (complex keys, alias loops): a refusal.
    if (!(e instanceof UnsupportedYaml)) throw e;
    full = { error: e.message, offset: e.offset };
  }
  const fast = parseFast(text);
  if (fast !== undefined) {
    if ('error' in full) return `the fast parser accepted what the full one refuses (${full.error})`;
    try {
      assert.deepStrictEqual(fast, full.node);
    } catch {
      return `the trees differ: fast ${JSON.stringify(fast)} full ${JSON.stringify(full.node)}`;
    }
  }
  let withFallback: YamlSource | InputError;
  try {
    withFallback = await YamlSource.parse('/tmp/x.yaml', text);
  } catch (e) {
    if (!(e instanceof InputError)) return `YamlSource threw ${String(e)}`;
    withFallback = e;
  }
  // The full parser's tree can still be one YamlSource refuses (an alias loop): only compare accepted trees.
  if ('node' in full && !(withFallback instanceof InputError)) {
    try {
      assert.deepStrictEqual(withFallback.root, full.node);
    } catch {
      return 'YamlSource and the full parser give different trees';
    }
  }
  if ('error' in full && !(withFallback instanceof InputError)) return `YamlSource accepted what the full parser refuses (${full.error})`;
  return undefined;
}

describe('fast and full YAML parsers agree', () => {
  test('on hand-picked tricky texts (indicators starting keys, white space YAML keeps, edge scalars)', async () => {
    const bad: string[] = [];
    for (const t of TRICKY) {
      const d = await disagreement(t);
      if (d !== undefined) bad.push(`${JSON.stringify(t)}: ${d}`);
    }
    assert.deepEqual(bad, []);
  });

  test('a key starting with a flow indicator and a vertical tab as a value, which they once disagreed on', async () => {
    for (const t of [']:', 'h:\n]:', '}:', ',:', 't: \x0b']) assert.equal(await disagreement(t), undefined, JSON.stringify(t));
    assert.equal(parseFast('t: \x0b'), undefined, 'the fast parser leaves a vertical tab to the full one');
  });

  test(`on the YAML fuzz corpus and ${N} mutations of it from the fixed seed`, async () => {
    const seeds: Uint8Array[] = [];
    for (const t of targets) seeds.push(...(await t.seeds()));
    const rng = new Prng(0x5ea1f10, 'yaml-differential');
    const bad: string[] = [];
    const texts = [...seeds, ...Array.from({ length: N }, () => mutate(seeds, rng).input)];
    for (const b of texts) {
      if (b.length > 20_000) continue;
      const t = Buffer.from(b).toString('utf8');
      const d = await disagreement(t);
      if (d !== undefined && bad.length < 5) bad.push(`${JSON.stringify(t.slice(0, 300))}: ${d.slice(0, 300)}`);
    }
    assert.deepEqual(bad, []);
  });
});
