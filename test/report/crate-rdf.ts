/**
 * The crate read by tools nobody here wrote: Debian's python3-rdflib (as
 * JSON-LD, its @context URLs mapped to the local copies in
 * shared/ro-crate/, no network) and the npm `ro-crate` library.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { RO_CRATE_CONTEXT, WFRUN_CONTEXT } from '../../src/report/crate.js';
import { SHARED } from '../helpers/shared.js';
import { requireAll } from '../helpers/needs.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';

export const RO_CRATE_DIR = path.join(SHARED, 'ro-crate');
export const CONTEXTS: Readonly<Record<string, string>> = {
  [RO_CRATE_CONTEXT]: path.join(RO_CRATE_DIR, 'context-1.1.jsonld'),
  [WFRUN_CONTEXT]: path.join(RO_CRATE_DIR, 'context-workflow-run-terms.jsonld'),
};
/** The RO-Crate contexts live in the shared test material (read, not copied into the project: shared/ro-crate/SOURCE.md). */
export const contextsMissing: string | false = Object.values(CONTEXTS).every((f) => fs.existsSync(f)) ? false : `SKIPPED LOUDLY: the RO-Crate contexts are not in ${RO_CRATE_DIR} (shared/ro-crate/; set SEALFLOW_SHARED to the shared directory)`;
if (contextsMissing) {
  process.stderr.write(`${contextsMissing}\n`);
  if (requireAll()) test('the RO-Crate contexts of the shared test material are present', () => assert.fail(contextsMissing as string));
}
/** Debian's Python, which has python3-rdflib (a python3 earlier on PATH may not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** Parses the crate with rdflib and answers SPARQL ASK/SELECT queries: {name: rows}. */
const SCRIPT = String.raw`
import json, sys
from rdflib import Graph
meta, contexts, queries = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
doc = json.load(open(meta))
def local(c):
    if isinstance(c, str):
        if c not in contexts: raise SystemExit('context not available offline: ' + c)
        return json.load(open(contexts[c]))['@context']
    return c
ctx = doc['@context']
doc['@context'] = [local(c) for c in ctx] if isinstance(ctx, list) else local(ctx)
g = Graph()
g.parse(data=json.dumps(doc), format='json-ld', publicID='file:///crate/')
out = {'triples': len(g)}
for name, q in queries.items():
    r = g.query(q)
    out[name] = bool(r.askAnswer) if r.type == 'ASK' else [[str(x) for x in row] for row in r]
print(json.dumps(out))
`;

export function rdfQuery(metadataFile: string, queries: Readonly<Record<string, string>>): Record<string, unknown> {
  const r = spawnSync(DEBIAN_PYTHON, ['-c', SCRIPT, metadataFile, JSON.stringify(CONTEXTS), JSON.stringify(queries)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rdflib failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** fetch for the RO-Crate library: the context URLs from the local copies, anything else refused (no network). */
const offlineFetch = (async (url: string | URL) => {
  const f = CONTEXTS[String(url)];
  if (f === undefined) return new Response('not available offline', { status: 404, statusText: 'not available offline' });
  return new Response(fs.readFileSync(f), { status: 200, headers: { 'content-type': 'application/ld+json' } });
}) as typeof fetch;

interface RoCrateLib {
  ROCrate: new (json: unknown, opts: { array: boolean; link: boolean }) => { rootDataset: Record<string, unknown>; entities(): Iterable<Record<string, unknown>>; resolveContext(): Promise<unknown>; resolveTerm(term: string): string | undefined };
  validate: (json: unknown) => Promise<{ status: string; message: string; id: string }[]>;
}

/**
 * The npm ro-crate library, loaded with fetch answering only the context URLs
 * (it keeps the fetch it finds when loaded; its validator calls the global one).
 */
export function loadRoCrate(): RoCrateLib {
  const real = globalThis.fetch;
  globalThis.fetch = offlineFetch;
  try {
    return createRequire(import.meta.url)('ro-crate') as RoCrateLib;
  } finally {
    globalThis.fetch = real;
  }
}

/** Runs `fn` with the global fetch offline (the validator fetches the contexts). */
export async function withLocalContexts<T>(fn: () => Promise<T>): Promise<T> {
  const real = globalThis.fetch;
  globalThis.fetch = offlineFetch;
  try {
    return await fn();
  } finally {
    globalThis.fetch = real;
  }
}
