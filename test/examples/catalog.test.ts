import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXAMPLES } from '../../examples/catalog.js';
import { loadWorkflow } from '../../src/workflow/index.js';
import { needs } from '../helpers/needs.js';

test('the catalog holds the four examples', () => {
  assert.deepEqual(Object.keys(EXAMPLES).sort(), ['diagnosis-recommendation', 'distributed-k-means', 'dna-alignment', 'word-count']);
});

for (const ex of Object.values(EXAMPLES)) {
  const skip = ex.name === 'dna-alignment' ? needs(['bowtie2', 'bowtie2-examples', 'samtools']) : false;
  test(`the catalog prepares ${ex.name}'s quick inputs, which the workflow declares, and runs its native baseline`, { skip }, async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'sealflow-catalog-'));
    try {
      const wf = await loadWorkflow(ex.dir);
      const size = ex.sizes.quick[0]!;
      const inputs = await ex.prepare(size, path.join(root, 'data'));
      const declared = new Set(wf.inputs.map((p) => p.id));
      for (const [id, value] of Object.entries(inputs)) {
        assert.ok(declared.has(id), `${ex.name}: ${id} is not an input of flow.yaml`);
        assert.ok((await stat(value)).size > 0, `${ex.name}: ${value} is empty`);
      }
      const again = await ex.prepare(size, path.join(root, 'data'));
      assert.deepEqual(again, inputs, `${ex.name}: prepared inputs are reused`);
      await ex.native(inputs, { threads: 1, workDir: await mkdtemp(path.join(root, `${ex.name}-`)) });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}

test('simulated dna-alignment inputs are both gzip files, made under temporary names that keep the .gz extension', { skip: needs(['bowtie2-examples']) }, async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'sealflow-catalog-dna-'));
  try {
    const inputs = await EXAMPLES['dna-alignment']!.prepare('200', root);
    for (const id of ['reads1', 'reads2']) {
      const head = (await readFile(inputs[id]!)).subarray(0, 2);
      assert.deepEqual([...head], [0x1f, 0x8b], `${id} is gzip-compressed`);
    }
    assert.deepEqual((await readdir(root)).sort(), ['reads-200_1.fq.gz', 'reads-200_2.fq.gz'], 'no partial files are left');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
