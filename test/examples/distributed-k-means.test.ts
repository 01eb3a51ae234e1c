import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../helpers/cli.js';
import { runTask } from '../helpers/task-context.js';
import { init } from '../../examples/distributed-k-means/tasks/init.js';
import { partial } from '../../examples/distributed-k-means/tasks/partial.js';
import { update, type RoundState } from '../../examples/distributed-k-means/tasks/update.js';
import { reassign } from '../../examples/distributed-k-means/tasks/reassign.js';
import { summarize, type KMeansResult } from '../../examples/distributed-k-means/tasks/summarize.js';
import { generatePoints } from '../../examples/distributed-k-means/generate-points.js';
import { kmeansDirect, type DirectResult } from '../../examples/distributed-k-means/kmeans-direct.js';
import { makeFlow } from '../../examples/distributed-k-means/make-flow.js';
import { forEachPoint } from '../../examples/distributed-k-means/parse.js';
import { Random } from '../../examples/_lib/random.js';

const EXAMPLE = path.join(REPO, 'examples', 'distributed-k-means');

interface Params {
  k: number;
  m: number;
  maxRounds: number;
  tolerance: number;
  seed: number;
}

/** Runs the tasks as flow.yaml wires them: round r runs while round r-1 said `more`. */
async function runWorkflow(points: string, root: string, p: Params, unrolled = 20) {
  const s = await runTask(init, { points, k: p.k, m: p.m, seed: p.seed }, root, 'init');
  let centroids: unknown = s.centroids;
  let state: RoundState | undefined;
  let go = true;
  let tasks = 1;
  for (let r = 1; r <= unrolled && go; r++) {
    const sums = await Promise.all(s.partitions.map((partition, i) =>
      runTask(partial, { partition, centroids, go }, root, `partial_${r}[${i}]`)));
    const u: { centroids: unknown; more: boolean; state: unknown } = await runTask(update, {
      partials: sums.map((x) => x.sums), centroids, round: r, maxRounds: p.maxRounds, tolerance: p.tolerance, go,
    }, root, `update_${r}`);
    tasks += p.m + 1;
    centroids = u.centroids;
    state = u.state as RoundState;
    go = u.more;
  }
  const re = await Promise.all(s.partitions.map((partition, i) => runTask(reassign, { partition, centroids }, root, `reassign[${i}]`)));
  const sum = await runTask(summarize, { state, stats: re.map((x) => x.stats) }, root, 'summarize');
  const result = JSON.parse(await readFile(sum.result, 'utf8')) as KMeansResult;
  const labels = (await Promise.all(re.map((x) => readFile(x.labels, 'utf8')))).join('');
  return { result, labels, tasks: tasks + p.m + 1 };
}

function assertSame(wf: { result: KMeansResult; labels: string }, direct: DirectResult): void {
  const { labels, ...d } = direct;
  assert.equal(wf.result.rounds, d.rounds);
  assert.equal(wf.result.converged, d.converged);
  assert.deepEqual(wf.result.sizes, d.sizes);
  assert.equal(wf.result.centroids.length, d.centroids.length);
  wf.result.centroids.forEach(([x, y], c) => {
    const [dx, dy] = d.centroids[c]!;
    assert.ok(Math.abs(x - dx) < 1e-9 && Math.abs(y - dy) < 1e-9, `centroid ${c}: ${x},${y} vs ${dx},${dy}`);
  });
  assert.ok(Math.abs(wf.result.sse - d.sse) <= 1e-9 * d.sse, `sse ${wf.result.sse} vs ${d.sse}`);
  assert.equal(wf.labels, Array.from(labels, (c) => `${c}\n`).join(''), 'labels differ');
}

describe('distributed-k-means example', () => {
  let root: string;
  let points: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sealflow-km-'));
    points = path.join(root, 'points.csv');
    await generatePoints({ points: 30_000, clusters: 6, seed: 3 }, points);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the workflow converges to the same clustering as the direct implementation', async () => {
    const p = { k: 6, m: 3, maxRounds: 20, tolerance: 0, seed: 1 };
    const wf = await runWorkflow(points, root, p);
    const direct = await kmeansDirect(points, p);
    assert.equal(direct.converged, true);
    assertSame(wf, direct);
    assert.equal(wf.tasks, 1 + direct.rounds * (p.m + 1) + p.m + 1);
  });

  test('stopping at the round cap gives the direct result after the same number of rounds', async () => {
    const p = { k: 9, m: 4, maxRounds: 2, tolerance: 0, seed: 2 };
    const wf = await runWorkflow(points, root, p);
    const direct = await kmeansDirect(points, p);
    assert.equal(wf.result.rounds, 2);
    assert.equal(wf.result.converged, false);
    assertSame(wf, direct);
  });

  test('the committed sample clusters the same way in the workflow and directly, for M = 1 and M = 7', async () => {
    const sample = path.join(EXAMPLE, 'data', 'points-5k.csv');
    for (const m of [1, 7]) {
      const p = { k: 9, m, maxRounds: 20, tolerance: 0, seed: 1 };
      assertSame(await runWorkflow(sample, root, p), await kmeansDirect(sample, p));
    }
  });

  test('partitions are compact int32 fixed-point when every point allows it, float64 otherwise, with the same clustering either way', async () => {
    const head = async (f: string) => (await readFile(f)).subarray(0, 8).toString('latin1');
    const compact = await runTask(init, { points, k: 6, m: 3, seed: 1 }, root, 'init-i32');
    for (const f of compact.partitions) assert.equal(await head(f), 'KMPi32\n\0');
    const text = await readFile(points, 'utf8');
    const lines = text.trimEnd().split('\n');
    // One point with a fifth decimal, another beyond the int32 range: the whole input goes float64.
    lines[17] = '1.23456,-2.5';
    lines[20_000] = '300000.5,1';
    const odd = path.join(root, 'odd.csv');
    await writeFile(odd, `${lines.join('\n')}\n`);
    const wide = await runTask(init, { points: odd, k: 6, m: 3, seed: 1 }, root, 'init-f64');
    for (const f of wide.partitions) assert.equal(await head(f), 'KMPf64\n\0');
    const p = { k: 6, m: 3, maxRounds: 20, tolerance: 0, seed: 1 };
    assertSame(await runWorkflow(odd, root, p), await kmeansDirect(odd, p));
  });

  test('more partitions than points leaves the extra partitions empty', async () => {
    const few = path.join(root, 'few.csv');
    await writeFile(few, '0,0\n0,1\n10,10\n10,11\n');
    const p = { k: 2, m: 6, maxRounds: 20, tolerance: 0, seed: 1 };
    const wf = await runWorkflow(few, root, p);
    assertSame(wf, await kmeansDirect(few, p));
    assert.deepEqual([...wf.result.sizes].sort(), [2, 2]);
  });

  test('the byte-level point parser gives exactly the doubles Number() gives, for every form', async () => {
    const rng = new Random(5);
    const texts: string[] = ['1e3,-2.5E-2', ' 3.25 , 4', '+7,.5', '0.1,-0', '123456789012345678,0.30000000000000004', '-0.0000,5.', '1,2\r'];
    for (let i = 0; i < 5000; i++) {
      const digits = rng.range(0, 6);
      const v = (rng.float() - 0.5) * 10 ** rng.range(0, 9);
      texts.push(`${v.toFixed(digits)},${(-v / 3).toFixed(rng.range(0, 6))}`);
    }
    const file = path.join(root, 'forms.csv');
    await writeFile(file, `${texts.join('\n')}\n\n`);
    const got: number[] = [];
    const n = await forEachPoint(file, (x, y) => got.push(x, y));
    assert.equal(n, texts.length);
    const want = texts.flatMap((t) => t.trim().split(',').map((s) => Number(s)));
    got.forEach((x, i) => assert.ok(Object.is(x, want[i]), `${texts[i >> 1]}: ${x} vs ${want[i]}`));
  });

  test('a malformed point names its file and line', async () => {
    const bad = path.join(root, 'bad.csv');
    await writeFile(bad, '1,2\n3;4\n');
    await assert.rejects(runTask(init, { points: bad, k: 1, m: 1, seed: 1 }, root, 'init'), /bad\.csv:2: expected 'x,y'/);
  });

  test('flow.yaml is make-flow output, wiring each round to the previous one with when/pickValue', async () => {
    const text = await readFile(path.join(EXAMPLE, 'flow.yaml'), 'utf8');
    assert.equal(text, makeFlow(20));
    const flow = parse(text) as { steps: Record<string, { run: string; when?: string; in: Record<string, unknown>; out: Record<string, string> }> };
    const tasks = { init, partial, update, reassign, summarize } as const;
    for (const [id, step] of Object.entries(flow.steps)) {
      const name = step.run.split('#')[1] as keyof typeof tasks;
      assert.deepEqual(Object.keys(step.in).sort(), Object.keys(tasks[name].inputs).sort(), id);
      assert.deepEqual(step.out, tasks[name].outputs, id);
    }
    assert.deepEqual(flow.steps['partial_3']?.in['go'], { from: 'update_2/more', type: 'boolean', default: false });
    const centroids = flow.steps['reassign']?.in['centroids'] as { from: string[]; pickValue: string };
    assert.equal(centroids.pickValue, 'first_non_null');
    assert.equal(centroids.from[0], 'update_20/centroids');
    assert.equal(centroids.from.at(-1), 'update_1/centroids');
  });
});
