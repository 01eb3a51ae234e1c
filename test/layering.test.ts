/**
 * DESIGN.md, Layout: dependencies point one way. `cli → engine → master,
 * connectors, tee → protocol → crypto, attestation`; `worker → protocol`, and
 * `worker → workflow` for the model; `workflow` imports only what is below it
 * (the shared root modules); `report` and `bench` are like `cli`. Nothing
 * imports what is above it, and the master (engine, master) never imports the
 * worker. This test reads the imports of every file in src/ (static, type-only,
 * re-exports and dynamic) and lists each one that breaks the rule.
 *
 * ALLOWED lists what legitimately remains, each with its reason; an entry that
 * no longer occurs fails too, so the list can only shrink.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO } from './helpers/cli.js';

const SRC = path.join(REPO, 'src');

/** The shared root modules (src/errors.ts, src/suggest.ts, src/task.ts, src/index.ts): every layer may use them. */
const SHARED = 'shared';

/** What each layer (a folder of src/) may import besides itself and the shared root modules. */
const BELOW = ['protocol', 'crypto', 'attestation', 'workflow'] as const;
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  cli: ['engine', 'master', 'connectors', 'tee', ...BELOW, 'worker', 'report', 'bench'],
  report: ['engine', 'master', 'connectors', 'tee', ...BELOW],
  bench: ['engine', 'master', 'connectors', 'tee', ...BELOW],
  engine: ['master', 'connectors', 'tee', ...BELOW],
  master: [...BELOW],
  connectors: [...BELOW],
  tee: [...BELOW],
  /** The workflow model travels in messages (port values and types). */
  protocol: ['crypto', 'attestation', 'workflow'],
  worker: ['protocol', 'crypto', 'attestation', 'workflow'],
  crypto: [],
  attestation: [],
  workflow: [],
  [SHARED]: [],
};

/** Sideways imports the design names: a connector runs the command its deployment's platform gives (the TeePlatform interface only). */
const SIDEWAYS: readonly { from: string; to: string }[] = [
  { from: 'connectors', to: 'src/tee/platform.ts' },
  // The master prepares each attested launch (what to ship, under which platform object) for the connector,
  // owns the run's sim root and the reference measurement, and judges evidence by platform.
  { from: 'master', to: 'src/connectors/connector.ts' },
  { from: 'master', to: 'src/tee/' },
];

/** What remains, `file → imported file`, with the reason. Remove an entry when its import goes. */
const ALLOWED: readonly { from: string; to: string; reason: string }[] = [
  ...['native-child', 'plan', 'run-bench', 'targets'].map((f) => ({
    from: `src/bench/${f}.ts`,
    to: 'examples/catalog.ts',
    reason: 'the benchmark generates the seed examples\' inputs and runs their native baselines from the examples\' catalog (outside src/); to be passed in or moved beside the benchmark',
  })),
  {
    from: 'src/workflow/cwl/expr/quickjs-module.ts',
    // Written relative to the compiled file (dist/src/…, one level deeper), so it reads as outside the repository here.
    to: '../node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.cjs',
    reason: "the CWL sandbox's QuickJS loader, by file: the package exports only its ESM build to import(), which calls createRequire(import.meta.url) and so cannot run inside the attested executor bundle (run from memory); to go when the executor bundle can carry it another way",
  },
];

function layerOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] !== 'src') return parts[0] as string; // outside src/: examples/, …
  return parts.length === 2 ? SHARED : (parts[1] as string);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : []));
}

/** The relative module specifiers `code` imports: static and type-only imports, re-exports, side-effect and dynamic imports. */
export function importsOf(code: string): string[] {
  const text = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] as string);
  return specs.filter((s) => s.startsWith('.'));
}

/** The repository-relative .ts file a specifier of `file` names (`./x.js` → `x.ts`). */
function target(file: string, spec: string): string {
  const abs = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
  return path.relative(REPO, abs).split(path.sep).join('/');
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly spec: string;
}

function edges(): Edge[] {
  return tsFiles(SRC).flatMap((file) => importsOf(readFileSync(file, 'utf8')).map((spec) => ({ from: path.relative(REPO, file).split(path.sep).join('/'), to: target(file, spec), spec })));
}

function allowedByLayers(e: Edge): boolean {
  const a = layerOf(e.from);
  const b = layerOf(e.to);
  if (a === b || b === SHARED) return true;
  if (SIDEWAYS.some((s) => s.from === a && (s.to.endsWith('/') ? e.to.startsWith(s.to) : s.to === e.to))) return true;
  return (MAY_IMPORT[a] ?? []).includes(b);
}

describe('DESIGN.md Layout: dependencies point one way', () => {
  test('the import reader sees static, type-only, re-exported, side-effect and dynamic imports, and not comments', () => {
    const code = ["import a from './a.js';", "import type { B } from '../b.js';", "export { c } from './c.js';", "import './d.js';", "const e = await import('./e.js');", "import {\n  f,\n  g,\n} from './fg.js';", '// import x from "./x.js";', "/* import y from './y.js'; */", "import fs from 'node:fs';"].join('\n');
    assert.deepEqual(importsOf(code).sort(), ['../b.js', './a.js', './c.js', './d.js', './e.js', './fg.js']);
  });

  test('every file in src/ imports only its own layer, the layers below it, and the shared root modules', () => {
    const all = edges();
    assert.ok(all.length > 500, `read ${all.length} imports`);
    const violations = all.filter((e) => !allowedByLayers(e) && !ALLOWED.some((x) => x.from === e.from && x.to === e.to));
    assert.deepEqual(violations.map((e) => `${e.from} → ${e.spec}`), [], `imports against the layer rule (DESIGN.md, Layout):\n${violations.map((e) => `  ${e.from} → ${e.spec}`).join('\n')}`);
  });

  test('every allowed exception still occurs and still breaks the rule (the list only shrinks)', () => {
    const all = edges();
    const stale = ALLOWED.filter((x) => !all.some((e) => e.from === x.from && e.to === x.to && !allowedByLayers(e)));
    assert.deepEqual(stale.map((x) => `${x.from} → ${x.to}`), [], 'remove these entries from ALLOWED');
  });

  test('nothing outside the cli imports the cli', () => {
    const bad = edges().filter((e) => layerOf(e.to) === 'cli' && layerOf(e.from) !== 'cli');
    assert.deepEqual(bad.map((e) => `${e.from} → ${e.spec}`), []);
  });
});
