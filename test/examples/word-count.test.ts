import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../helpers/cli.js';
import { runTask } from '../helpers/task-context.js';
import { split, chunkBounds } from '../../examples/word-count/tasks/split.js';
import { count } from '../../examples/word-count/tasks/count.js';
import { map } from '../../examples/word-count/tasks/map.js';
import { shuffle } from '../../examples/word-count/tasks/shuffle.js';
import { reduce } from '../../examples/word-count/tasks/reduce.js';
import { merge } from '../../examples/word-count/tasks/merge.js';
import { WordCounter } from '../../examples/word-count/tasks/words.js';
import { generateCorpus } from '../../examples/word-count/generate.js';
import { countWords, countDirect } from '../../examples/word-count/count-direct.js';
import { checkCounts } from '../../examples/word-count/check.js';
import type { TaskDefinition } from '../../src/task.js';

const EXAMPLE = path.join(REPO, 'examples', 'word-count');
const SAMPLE = path.join(EXAMPLE, 'data', 'sample.txt');

/** Runs the 16 tasks in the order and with the wiring of flow.yaml; returns the result file and the task count. */
async function runPipeline(corpus: string, root: string, parts = 3, partitions = 4): Promise<{ counts: string; tasks: number }> {
  let tasks = 0;
  const run = async <T extends TaskDefinition>(task: T, inputs: Parameters<T['run']>[0], id: string) => {
    tasks++;
    return (await runTask(task, inputs as never, root, id)) as Awaited<ReturnType<T['run']>>;
  };
  const s = await run(split, { corpus, parts, partitions }, 'split');
  const counted = await Promise.all(s.chunks.map((chunk, i) => run(count, { chunk }, `count-${i}`)));
  const mapped = await Promise.all(counted.map((c, i) => run(map, { counts: c.counts, partitions }, `map-${i}`)));
  const parts2d = mapped.map((m) => m.parts);
  const shuffled = await Promise.all(s.partitionIds.map((p) => run(shuffle, { parts: parts2d, partition: p }, `shuffle-${p}`)));
  const reduced = await Promise.all(shuffled.map((g, i) => run(reduce, { grouped: g.grouped }, `reduce-${i}`)));
  const merged = await run(merge, { parts: reduced.map((r) => r.counts) }, 'merge');
  return { counts: merged.counts, tasks };
}

async function directTable(corpus: string, root: string): Promise<string> {
  const out = path.join(root, 'direct.tsv');
  await countDirect(corpus, out);
  return readFile(out, 'utf8');
}

describe('word-count example', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sealflow-wc-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the 16-task pipeline counts the committed sample exactly as the direct count does', async () => {
    const { counts, tasks } = await runPipeline(SAMPLE, root);
    assert.equal(tasks, 16);
    assert.equal(await readFile(counts, 'utf8'), await directTable(SAMPLE, root));
    const check = await checkCounts(SAMPLE, counts);
    assert.ok(check.ok, check.difference);
    assert.ok(check.words > 1000 && check.total > 10000, `sample too small: ${check.words} words`);
  });

  // The ≥ 50 MB case runs through `sealflow run` in run-cli.test.ts.
  test('the pipeline equals the direct count on a generated 8 MB corpus', async () => {
    const corpus = path.join(root, 'big.txt');
    const size = await generateCorpus({ size: 8_000_000, seed: 7 }, corpus);
    assert.ok(size >= 7_990_000 && size <= 8_000_000, `generated ${size} bytes`);
    const { counts } = await runPipeline(corpus, root);
    const check = await checkCounts(corpus, counts);
    assert.ok(check.ok, check.difference);
    await rm(corpus);
  });

  test('any number of chunks and partitions gives the same counts', async () => {
    const expected = await directTable(SAMPLE, root);
    for (const [parts, partitions] of [[1, 1], [2, 3], [5, 26]] as const) {
      const { counts, tasks } = await runPipeline(SAMPLE, root, parts, partitions);
      assert.equal(tasks, 2 + 2 * parts + 2 * partitions);
      assert.equal(await readFile(counts, 'utf8'), expected, `parts=${parts} partitions=${partitions}`);
    }
  });

  test('the committed sample is what the generator makes with seed 1 and size 150KB', async () => {
    const out = path.join(root, 'sample-again.txt');
    await generateCorpus({ size: 150_000, seed: 1 }, out);
    const sha = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');
    assert.equal(await sha(out), await sha(SAMPLE));
    assert.ok((await stat(SAMPLE)).size <= 200_000);
  });

  test('the generator is deterministic per seed and different across seeds', async () => {
    const a = path.join(root, 'a.txt');
    const b = path.join(root, 'b.txt');
    const c = path.join(root, 'c.txt');
    await generateCorpus({ size: 20_000, seed: 3 }, a);
    await generateCorpus({ size: 20_000, seed: 3 }, b);
    await generateCorpus({ size: 20_000, seed: 4 }, c);
    assert.deepEqual(await readFile(a), await readFile(b));
    assert.notDeepEqual(await readFile(a), await readFile(c));
  });

  test('words split across stream chunks are counted once, whole', async () => {
    const text = Buffer.from('Alpha beta,GAMMA  café x1y2\r\nbeta-alpha ALPHA\n\nend');
    const whole = new WordCounter();
    whole.push(text);
    const bytewise = new WordCounter();
    for (let i = 0; i < text.length; i++) bytewise.push(text.subarray(i, i + 1));
    const expected = new Map([['alpha', 3], ['beta', 2], ['gamma', 1], ['caf', 1], ['x1y2', 1], ['end', 1]]);
    assert.deepEqual(whole.end(), expected);
    assert.deepEqual(bytewise.end(), expected);
    const file = path.join(root, 'tiny.txt');
    await writeFile(file, text);
    assert.deepEqual(await countWords(file), expected);
  });

  test('chunks end at line ends, or at a separator when a line is very long', async () => {
    const lines = path.join(root, 'lines.txt');
    await writeFile(lines, 'aaaa bbbb\ncccc dddd\neeee ffff\ngggg hhhh\n');
    const b = await chunkBounds(lines, 3);
    const text = await readFile(lines, 'utf8');
    for (const x of b.slice(1, -1)) assert.equal(text[x - 1], '\n', `boundary ${x} is not after a newline`);
    const long = path.join(root, 'long.txt');
    await writeFile(long, 'word '.repeat(40_000));
    const lb = await chunkBounds(long, 3);
    const ltext = await readFile(long, 'utf8');
    for (const x of lb.slice(1, -1)) assert.equal(ltext[x - 1], ' ');
    const { counts } = await runPipeline(long, root);
    assert.equal(await readFile(counts, 'utf8'), 'word\t40000\n');
  });

  test('an empty corpus gives an empty table', async () => {
    const empty = path.join(root, 'empty.txt');
    await writeFile(empty, '');
    const { counts } = await runPipeline(empty, root);
    assert.equal(await readFile(counts, 'utf8'), '');
  });

  test('the check names the first difference when a count is wrong', async () => {
    const { counts } = await runPipeline(SAMPLE, root);
    const lines = (await readFile(counts, 'utf8')).split('\n');
    lines[10] = lines[10]!.replace(/\t(\d+)$/, (_, n: string) => `\t${Number(n) + 1}`);
    const bad = path.join(root, 'bad.tsv');
    await writeFile(bad, lines.join('\n'));
    const r = await checkCounts(SAMPLE, bad);
    assert.equal(r.ok, false);
    assert.match(r.difference ?? '', /^line 11: got /);
  });

  test('flow.yaml declares the same port types as the task definitions it runs', async () => {
    const flow = parse(await readFile(path.join(EXAMPLE, 'flow.yaml'), 'utf8')) as {
      steps: Record<string, { run: string; in: Record<string, unknown>; out: Record<string, string> }>;
    };
    const tasks: Record<string, TaskDefinition> = { split, count, map, shuffle, reduce, merge };
    for (const [id, step] of Object.entries(flow.steps)) {
      const [file, name] = step.run.split('#');
      assert.equal(file, `./tasks/${name}.ts`, `step ${id}`);
      const task = tasks[name ?? ''];
      assert.ok(task, `step ${id}: no task ${name}`);
      assert.deepEqual(Object.keys(step.in).sort(), Object.keys(task.inputs).sort(), `step ${id} inputs`);
      assert.deepEqual(step.out, task.outputs, `step ${id} outputs`);
    }
    const inputs = parse(await readFile(path.join(EXAMPLE, 'inputs.yaml'), 'utf8')) as { corpus: string };
    assert.equal(path.resolve(EXAMPLE, inputs.corpus), SAMPLE);
  });
});
