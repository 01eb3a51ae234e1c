import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { formatType, loadWorkflow, parseMemory } from '../../src/workflow/index.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

const flow = async (yaml: string): Promise<string> => path.join(await tempDir({ 'flow.yaml': yaml }), 'flow.yaml');
const typeOf = (t: Parameters<typeof formatType>[0] | undefined): string => (t === undefined ? 'undefined' : formatType(t));

describe('port types', () => {
  test('reports a type mismatch between a source and a declared input type', async () => {
    const file = await flow('inputs:\n  parts: number\nsteps:\n  a:\n    command: [cat, $(x)]\n    in:\n      x: { from: parts, type: file }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:7:7', 'step "a"', 'type mismatch', "input 'x' is declared file but receives number from workflow input 'parts'");
  });

  test('reports a mismatch between a scattered array and a declared element type', async () => {
    const file = await flow('inputs:\n  xs: number[]\nsteps:\n  a:\n    command: [cat, $(x)]\n    scatter: x\n    in:\n      x: { from: xs, type: file }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:8:7', 'step "a"', 'scatter gives each instance one element of number[], i.e. number');
  });

  test('gathers a scattered step output into an array downstream', async () => {
    const file = await flow(
      'inputs:\n  xs: file[]\nsteps:\n  a:\n    command: [cat, $(x)]\n    scatter: x\n    in: { x: xs }\n    out: { o: { type: file, glob: o } }\n  b:\n    command: [cat, $(all)]\n    in: { all: a/o }\n',
    );
    const wf = await loadWorkflow(file);
    assert.equal(typeOf(wf.steps[0]?.inputs[0]?.type), 'file');
    assert.equal(typeOf(wf.steps[1]?.inputs[0]?.type), 'file[]');
  });

  test('rejects a declared element type where the gathered array arrives', async () => {
    const file = await flow(
      'inputs:\n  xs: file[]\nsteps:\n  a:\n    command: [cat, $(x)]\n    scatter: x\n    in: { x: xs }\n    out: { o: { type: file, glob: o } }\n  b:\n    command: [cat, $(all)]\n    in: { all: { from: a/o, type: file } }\n',
    );
    await rejectsWith(loadWorkflow(file), 'flow.yaml:11:11', 'step "b"', 'declared file but receives file[] from a/o');
  });

  test('reports scatter over an input that is not an array', async () => {
    const file = await flow('inputs:\n  x: file\nsteps:\n  map:\n    command: [cat, $(chunk)]\n    scatter: chunk\n    in:\n      chunk: x\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:8:7', 'step "map"', "scatter over input 'chunk'", 'receives file', 'not an array');
  });

  test('scatters over a default array: each instance gets one element', async () => {
    const file = await flow('steps:\n  s:\n    command: [echo, $(x), $(y)]\n    scatter: [x, y]\n    in:\n      x: { default: [1, 2, 3] }\n      y: { type: string, default: [a, b, c] }\n');
    const wf = await loadWorkflow(file);
    assert.deepEqual(wf.steps[0]?.inputs.map((i) => [typeOf(i.type), i.default]), [
      ['number', [1, 2, 3]],
      ['string', ['a', 'b', 'c']],
    ]);
  });

  test('reports scatter over a default that is not an array', async () => {
    const file = await flow('steps:\n  s:\n    command: [echo, $(x)]\n    scatter: x\n    in:\n      x: { default: 3 }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:6:7', 'step "s"', "scatter over input 'x', but its default is number, not an array");
  });

  test('reports scatter naming a missing input', async () => {
    const file = await flow('inputs:\n  xs: file[]\nsteps:\n  map:\n    command: [cat, $(chunk)]\n    scatter: chunks\n    in:\n      chunk: xs\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:6:14', 'step "map"', "scatter names 'chunks'", "did you mean 'chunk'?");
  });

  test('gives several sources as an array of their type', async () => {
    const file = await flow('inputs:\n  a: file\n  b: file\nsteps:\n  s:\n    command: [cat, $(x)]\n    in: { x: [a, b] }\n');
    const wf = await loadWorkflow(file);
    assert.equal(typeOf(wf.steps[0]?.inputs[0]?.type), 'file[]');
    assert.equal(wf.steps[0]?.inputs[0]?.sources.length, 2);
  });

  test('rejects several sources of different types', async () => {
    const file = await flow('inputs:\n  a: file\n  b: number\nsteps:\n  s:\n    command: [cat, $(x)]\n    in: { x: [a, b] }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:7:11', 'step "s"', "workflow input 'a' is file but workflow input 'b' is number");
  });

  test('rejects several sources into a declared non-array type', async () => {
    const file = await flow('inputs:\n  a: file\n  b: file\nsteps:\n  s:\n    command: [cat, $(x)]\n    in: { x: { from: [a, b], type: file } }\n');
    await rejectsWith(loadWorkflow(file), 'step "s"', 'declared file but receives file[] from [workflow input \'a\', workflow input \'b\']');
  });

  test('first_non_null and the_only_non_null pick one value of the sources type', async () => {
    const file = await flow(
      'inputs:\n  a: file\n  b: file\nsteps:\n  s:\n    command: [cat, $(x), $(y)]\n    in:\n      x: { from: [a, b], pickValue: first_non_null }\n      y: { from: [a, b], pickValue: the_only_non_null, type: file }\n',
    );
    const wf = await loadWorkflow(file);
    assert.equal(typeOf(wf.steps[0]?.inputs[0]?.type), 'file');
    assert.equal(wf.steps[0]?.inputs[0]?.pickValue, 'first_non_null');
  });

  test('all_non_null keeps an array, also over one gathered source', async () => {
    const file = await flow(
      'inputs:\n  xs: file[]\n  a: file\n  b: file\nsteps:\n  m:\n    command: [cat, $(x)]\n    scatter: x\n    in: { x: xs }\n    out: { o: { type: file, glob: o } }\n  s:\n    command: [cat, $(x), $(y), $(z)]\n    in:\n      x: { from: m/o, pickValue: all_non_null }\n      y: { from: [a, b], pickValue: all_non_null }\n      z: { from: m/o, pickValue: first_non_null }\n',
    );
    const wf = await loadWorkflow(file);
    assert.deepEqual(wf.steps[1]?.inputs.map((i) => typeOf(i.type)), ['file[]', 'file[]', 'file']);
  });

  test('rejects pickValue on a single non-array source', async () => {
    const file = await flow('inputs:\n  a: file\nsteps:\n  s:\n    command: [cat, $(x)]\n    in:\n      x: { from: a, pickValue: first_non_null }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:7:7', 'step "s"', 'pickValue first_non_null on the single source', 'needs an array');
  });

  test('rejects an unknown pickValue with a suggestion', async () => {
    const file = await flow('inputs:\n  a: file\nsteps:\n  s:\n    command: [cat, $(x)]\n    in:\n      x: { from: [a, a], pickValue: first_non_nul }\n');
    await rejectsWith(loadWorkflow(file), 'step "s"', "unknown pickValue 'first_non_nul'", "did you mean 'first_non_null'?");
  });

  test('reports when naming a non-boolean input', async () => {
    const file = await flow('inputs:\n  go: string\nsteps:\n  s:\n    command: [echo, $(go)]\n    when: go\n    in: { go: go }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:6:11', 'step "s"', "when names input 'go', which is string, not boolean");
  });

  test('reports when naming a missing input', async () => {
    const file = await flow('inputs:\n  go: boolean\nsteps:\n  s:\n    command: [echo, $(run)]\n    when: run\n    in: { run: go }\n  t:\n    command: [true]\n    when: ru\n    in: { run: go }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:10:11', 'step "t"', "when names 'ru', which is not an input", "did you mean 'run'?");
  });

  test('accepts json as the target of any non-file type', async () => {
    const file = await flow('inputs:\n  n: number[]\nsteps:\n  s:\n    command: [echo, $(x)]\n    in: { x: { from: n, type: json } }\n');
    const wf = await loadWorkflow(file);
    assert.equal(typeOf(wf.steps[0]?.inputs[0]?.type), 'json');
  });

  test('reports a workflow output whose declared type does not match its source', async () => {
    const file = await flow('inputs:\n  xs: file[]\noutputs:\n  all: { type: file, from: m/o }\nsteps:\n  m:\n    command: [cat, $(x)]\n    scatter: x\n    in: { x: xs }\n    out: { o: { type: file, glob: o } }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:3', 'workflow output "all"', 'declared file but receives file[] from m/o');
  });
});

describe('requirements', () => {
  test('parses memory sizes in decimal and binary units and bytes', () => {
    assert.equal(parseMemory('512MiB'), 512 * 1024 ** 2);
    assert.equal(parseMemory('2GB'), 2e9);
    assert.equal(parseMemory('1.5 GiB'), 1.5 * 1024 ** 3);
    assert.equal(parseMemory(1000), 1000);
    assert.equal(parseMemory('1000'), 1000);
    assert.equal(parseMemory('12 parsecs'), undefined);
    assert.equal(parseMemory(0), undefined);
  });

  test('rejects threads below 1', async () => {
    const file = await flow('steps:\n  s:\n    command: [true]\n    requirements: { threads: 0 }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:30', 'step "s"', 'threads must be a whole number of at least 1');
  });

  test('rejects a memory size it cannot read', async () => {
    const file = await flow('steps:\n  s:\n    command: [true]\n    requirements:\n      memory: 2 gigs\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:5:15', 'step "s"', 'memory must be a positive size such as 512MiB, 2GB', '"2 gigs"');
  });

  test('rejects an unknown tee requirement with a suggestion', async () => {
    const file = await flow('steps:\n  s:\n    command: [true]\n    requirements: { tee: sev }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:26', 'step "s"', "unknown tee requirement 'sev'", "'none', 'any', 'sgx', 'sev-snp' and 'tdx'");
  });

  test('rejects negative retries', async () => {
    const file = await flow('steps:\n  s:\n    command: [true]\n    retries: -1\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:14', 'step "s"', 'retries must be a whole number of at least 0');
  });

  test('defaults to one thread, no memory and tee none', async () => {
    const file = await flow('steps:\n  s:\n    command: [true]\n');
    const wf = await loadWorkflow(file);
    assert.deepEqual(wf.steps[0]?.requirements, { threads: 1, tee: 'none' });
    assert.equal(wf.steps[0]?.retries, 0);
  });
});
