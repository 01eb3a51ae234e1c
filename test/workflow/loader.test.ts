import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { formatType, loadWorkflow } from '../../src/workflow/index.js';
import { REPO } from '../helpers/cli.js';
import { FIXTURES, rejectsWith, tempDir } from '../helpers/workflow.js';

const flow = async (yaml: string): Promise<string> => path.join(await tempDir({ 'flow.yaml': yaml }), 'flow.yaml');

describe('loadWorkflow', () => {
  test('loads the example of docs/workflow-format.md with inferred and declared types', async () => {
    const wf = await loadWorkflow(path.join(FIXTURES, 'doc-example'));
    assert.equal(wf.name, 'doc-example');
    assert.deepEqual(wf.steps.map((s) => s.id), ['split', 'map', 'merge', 'align', 'round1', 'round2']);
    const map = wf.steps.find((s) => s.id === 'map');
    assert.deepEqual(map?.scatter, ['chunk']);
    assert.equal(formatType(map?.inputs[0]?.type ?? { kind: 'json' }), 'file', 'scatter hands each instance one element');
    const merge = wf.steps.find((s) => s.id === 'merge');
    assert.equal(formatType(merge?.inputs[0]?.type ?? { kind: 'json' }), 'file[]', 'a scattered output is gathered into an array');
    const align = wf.steps.find((s) => s.id === 'align');
    assert.equal(align?.requirements.memory, 2 * 1024 ** 3);
    assert.equal(align?.requirements.threads, 2);
    assert.equal(align?.requirements.tee, 'any');
    assert.equal(align?.retries, 1);
    assert.equal(align?.run.kind, 'command');
    assert.deepEqual(wf.inputs.find((i) => i.id === 'parts')?.default, 3);
    assert.equal(wf.steps.find((s) => s.id === 'round2')?.when, 'notConverged');
    assert.deepEqual(wf.outputs.map((o) => `${o.id}:${formatType(o.type)}`), ['counts:file', 'sam:file', 'centroids:file']);
    assert.equal(wf.steps[0]?.loc.line, 16);
  });

  test('the example in docs/workflow-format.md is the fixture that loads', async () => {
    const doc = await readFile(path.join(REPO, 'docs', 'workflow-format.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    const fixture = await readFile(path.join(FIXTURES, 'doc-example', 'flow.yaml'), 'utf8');
    assert.equal(block, fixture.slice(fixture.indexOf('\n') + 1));
  });

  test('loads into plain data that survives JSON (for journals and workers)', async () => {
    const wf = await loadWorkflow(path.join(FIXTURES, 'doc-example'));
    assert.deepEqual(JSON.parse(JSON.stringify(wf)), wf);
  });

  test('accepts a directory or the flow.yaml path itself', async () => {
    const a = await loadWorkflow(path.join(FIXTURES, 'doc-example'));
    const b = await loadWorkflow(path.join(FIXTURES, 'doc-example', 'flow.yaml'));
    assert.deepEqual(a, b);
  });

  test('reports a missing workflow file', async () => {
    await rejectsWith(loadWorkflow('/nonexistent/dir/flow.yaml'), '/nonexistent/dir/flow.yaml', 'no such workflow file');
  });

  test('reports malformed YAML with file:line', async () => {
    const file = await flow('steps:\n  a:\n    command: [echo, hi\n    out: {}\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:5', 'malformed YAML', 'end with a ]', 'Fix the syntax');
  });

  test('reports inconsistent indentation as malformed YAML at its line', async () => {
    const file = await flow('steps:\n  a:\n    command: [true]\n   in: {}\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:1', 'malformed YAML', 'same column');
  });

  test('reports a duplicate key as malformed YAML at its line', async () => {
    const file = await flow('steps:\n  a:\n    command: [true]\n  a:\n    command: [true]\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:3', 'malformed YAML', 'unique');
  });

  test('suggests the nearest key for an unknown step key', async () => {
    const file = await flow('inputs:\n  xs: string[]\nsteps:\n  map:\n    command: [echo, $(x)]\n    scater: x\n    in:\n      x: xs\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:6:5', 'step "map"', "unknown key 'scater'", "did you mean 'scatter'?");
  });

  test('suggests the nearest key for an unknown top-level key', async () => {
    const file = await flow('step:\n  a:\n    command: [true]\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:1:1', "unknown key 'step'", "did you mean 'steps'?");
  });

  test('lists the valid keys when nothing is close', async () => {
    const file = await flow('steps:\n  a:\n    command: [true]\n    requirements: { gpus: 1 }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:21', 'step "a"', "unknown key 'gpus'", "'threads', 'memory' and 'tee'");
  });

  test('names the steps of a cycle in order', async () => {
    const file = await flow(
      [
        'steps:',
        '  a:',
        '    command: [cat, $(x)]',
        '    in: { x: c/out }',
        '    out: { out: { type: file, glob: o } }',
        '  b:',
        '    command: [cat, $(x)]',
        '    in: { x: a/out }',
        '    out: { out: { type: file, glob: o } }',
        '  c:',
        '    command: [cat, $(x)]',
        '    in: { x: b/out }',
        '    out: { out: { type: file, glob: o } }',
        '',
      ].join('\n'),
    );
    await rejectsWith(loadWorkflow(file), 'flow.yaml:2:3', 'step "a"', 'cycle', '"a" -> "b" -> "c" -> "a"');
  });

  test('reports a step that reads its own output as a cycle', async () => {
    const file = await flow('steps:\n  a:\n    command: [cat, $(x)]\n    in: { x: a/out }\n    out: { out: { type: file, glob: o } }\n');
    await rejectsWith(loadWorkflow(file), 'step "a"', '"a" -> "a"');
  });

  test('reports an edge to a missing step and suggests the nearest', async () => {
    const file = await flow('steps:\n  split:\n    command: [true]\n    out: { o: { type: file, glob: o } }\n  map:\n    command: [cat, $(x)]\n    in:\n      x: splt/o\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:8:10', 'step "map"', 'step "splt", which does not exist', "did you mean 'split'?");
  });

  test('reports an edge to a missing output port and lists the outputs', async () => {
    const file = await flow('steps:\n  split:\n    command: [true]\n    out: { chunks: { type: file, glob: o } }\n  map:\n    command: [cat, $(x)]\n    in:\n      x: split/chunk\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:8:10', 'step "map"', "output 'chunk' of step \"split\"", "did you mean 'chunks'?");
  });

  test('reports an edge to a missing workflow input', async () => {
    const file = await flow('inputs:\n  corpus: file\nsteps:\n  a:\n    command: [cat, $(x)]\n    in: { x: corpsu }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:6:14', 'step "a"', "workflow input 'corpsu'", "did you mean 'corpus'?");
  });

  test('explains how to read a step output when a source names a step', async () => {
    const file = await flow('steps:\n  a:\n    command: [true]\n    out: { o: { type: file, glob: o } }\n  b:\n    command: [cat, $(x)]\n    in: { x: a }\n');
    await rejectsWith(loadWorkflow(file), 'step "b"', "'a' is a step", "'a/<output>'");
  });

  test('explains how to give a fixed value where a source is expected', async () => {
    const file = await flow('steps:\n  a:\n    command: [echo, $(n)]\n    in: { n: 3 }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:14', 'step "a"', "'3' is not a source", "'{ default: 3 }'");
  });

  test('requires either run or command', async () => {
    const file = await flow('steps:\n  a:\n    in: {}\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:2:3', 'step "a"', "needs 'run:", "'command:");
  });

  test('rejects command-only keys on a task step', async () => {
    const file = await flow('steps:\n  a:\n    run: ./t.ts#t\n    stdout: out.txt\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:4:5', 'step "a"', "'stdout' applies only to command steps");
  });

  test('requires a glob on command outputs', async () => {
    const file = await flow('steps:\n  a:\n    command: [true]\n    out: { o: file }\n');
    await rejectsWith(loadWorkflow(file), 'step "a"', "output 'o' of a command needs a glob");
  });

  test('rejects an invalid step id', async () => {
    const file = await flow('steps:\n  1bad:\n    command: [true]\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:2:3', "'1bad' is not a valid step id");
  });

  test('rejects an unknown type and suggests the nearest', async () => {
    const file = await flow('inputs:\n  corpus: flie\nsteps:\n  a:\n    command: [cat, $(x)]\n    in: { x: corpus }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:2:11', 'workflow input "corpus"', "unknown type 'flie'", "did you mean 'file'?");
  });

  test('rejects a command template that names no input', async () => {
    const file = await flow('inputs:\n  index: directory\nsteps:\n  a:\n    command: [ls, $(indx)/x]\n    in: { index: index }\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:5:14', 'step "a"', '$(indx)', "did you mean 'index'?");
  });

  test('rejects an array input used inside a longer argument', async () => {
    const file = await flow('inputs:\n  xs: file[]\nsteps:\n  a:\n    command: [cat, --in=$(x)]\n    in: { x: xs }\n');
    await rejectsWith(loadWorkflow(file), 'step "a"', 'array input $(x)', 'whole argument');
  });

  test('resolves relative default paths against the workflow file', async () => {
    const dir = await tempDir({ 'flow.yaml': 'inputs:\n  ref: { type: file, default: data/ref.fa }\nsteps:\n  a:\n    command: [cat, $(x)]\n    in: { x: ref }\n' });
    const wf = await loadWorkflow(dir);
    assert.deepEqual(wf.inputs[0]?.default, { class: 'File', path: path.join(dir, 'data', 'ref.fa') });
  });

  test('keeps command arguments as written, also those YAML reads as numbers or booleans', async () => {
    const file = await flow('steps:\n  a:\n    command: [prog, -1, 08, 1.0, 0x10, true, "-2", $(threads)]\n');
    const wf = await loadWorkflow(file);
    const run = wf.steps[0]?.run;
    assert.equal(run?.kind, 'command');
    assert.deepEqual(run?.kind === 'command' ? run.argv : [], ['prog', '-1', '08', '1.0', '0x10', 'true', '-2', '$(threads)']);
  });

  test('keeps command arguments as written through the full YAML parser too', async () => {
    const file = await flow('steps:\n  a:\n    command: &c [prog, -1, 08, 1.0]\n');
    const wf = await loadWorkflow(file);
    const run = wf.steps[0]?.run;
    assert.deepEqual(run?.kind === 'command' ? run.argv : [], ['prog', '-1', '08', '1.0']);
  });

  test('reads shell, stdout, env and output globs of a command step', async () => {
    const file = await flow(
      'inputs:\n  ref: file\nsteps:\n  build:\n    command: mkdir index && bowtie2-build $(ref) index/ref\n    shell: true\n    env: { LC_ALL: C, THREADS: $(threads) }\n    stdout: log.txt\n    in: { ref: ref }\n    out:\n      index: { type: directory, glob: index }\n      log: { type: file, glob: log.txt }\n',
    );
    const wf = await loadWorkflow(file);
    const run = wf.steps[0]?.run;
    assert.deepEqual(run?.kind === 'command' ? { argv: run.argv, shell: run.shell, env: run.env, stdout: run.stdout, outputs: run.outputs } : undefined, {
      argv: ['mkdir index && bowtie2-build $(ref) index/ref'],
      shell: true,
      env: { LC_ALL: 'C', THREADS: '$(threads)' },
      stdout: 'log.txt',
      outputs: { index: { glob: 'index' }, log: { glob: 'log.txt' } },
    });
  });

  test('requires a list for a command without a shell', async () => {
    const file = await flow('steps:\n  a:\n    command: echo hi\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:3:14', 'step "a"', 'command must be a list of arguments, e.g. [echo, hi]', "add 'shell: true'");
  });

  test('rejects an empty command argument', async () => {
    const file = await flow('steps:\n  a:\n    command: [prog, ~]\n');
    await rejectsWith(loadWorkflow(file), 'flow.yaml:3:21', 'step "a"', 'each command argument must be a single value');
  });

  test('names the workflow after its directory when it has no name', async () => {
    const dir = await tempDir({ 'flow.yaml': 'steps:\n  a:\n    command: [true]\n' });
    const wf = await loadWorkflow(dir);
    assert.equal(wf.name, path.basename(dir));
  });
});
