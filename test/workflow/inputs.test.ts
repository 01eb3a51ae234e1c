import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadInputs, loadWorkflow, parseInputFlag } from '../../src/workflow/index.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

const FLOW = [
  'inputs:',
  '  corpus: file',
  '  index: directory',
  '  parts: { type: number, default: 3 }',
  '  label: string?',
  '  reads: file[]',
  '  verbose: { type: boolean, default: false }',
  'steps:',
  '  s:',
  '    command: [cat, $(c), $(r)]',
  '    in: { c: corpus, r: reads, i: index, p: parts, v: verbose }',
  '',
].join('\n');

async function setup(inputs?: string) {
  const files: Record<string, string> = { 'flow.yaml': FLOW, 'data/a.txt': 'a', 'data/b.txt': 'b', 'data/idx/x': 'x' };
  if (inputs !== undefined) files['inputs.yaml'] = inputs;
  const dir = await tempDir(files);
  return { dir, wf: await loadWorkflow(dir) };
}

describe('workflow inputs', () => {
  test('reads inputs.yaml beside the workflow, resolving paths against it and applying defaults', async () => {
    const { dir, wf } = await setup('corpus: data/a.txt\nindex: data/idx\nreads: [data/a.txt, data/b.txt]\n');
    const v = await loadInputs(wf);
    assert.deepEqual(v, {
      corpus: { class: 'File', path: path.join(dir, 'data/a.txt') },
      index: { class: 'Directory', path: path.join(dir, 'data/idx') },
      parts: 3,
      label: null,
      reads: [
        { class: 'File', path: path.join(dir, 'data/a.txt') },
        { class: 'File', path: path.join(dir, 'data/b.txt') },
      ],
      verbose: false,
    });
  });

  test('parses --input overrides by the port type, paths relative to the current directory', async () => {
    const { dir, wf } = await setup('corpus: data/a.txt\nindex: data/idx\nreads: []\n');
    const overrides = parseInputFlag('parts=7', parseInputFlag('verbose=true', parseInputFlag(`reads=[${dir}/data/b.txt]`)));
    parseInputFlag('label=a=b', overrides);
    const v = await loadInputs(wf, { overrides });
    assert.equal(v['parts'], 7);
    assert.equal(v['verbose'], true);
    assert.equal(v['label'], 'a=b');
    assert.deepEqual(v['reads'], [{ class: 'File', path: path.join(dir, 'data/b.txt') }]);
  });

  test('accepts CWL-style File and Directory objects and any YAML value for json', async () => {
    const flow = 'inputs:\n  f: file\n  d: directory\n  opts: json\nsteps:\n  s:\n    command: [cat, $(f)]\n    in: { f: f, d: d, o: opts }\n';
    const dir = await tempDir({ 'flow.yaml': flow, 'x.txt': 'x', 'sub/y': 'y', 'inputs.yaml': 'f: { class: File, path: x.txt }\nd: { class: Directory, path: sub }\nopts: { mode: fast, k: [1, 2] }\n' });
    const v = await loadInputs(await loadWorkflow(dir));
    assert.deepEqual(v, { f: { class: 'File', path: path.join(dir, 'x.txt') }, d: { class: 'Directory', path: path.join(dir, 'sub') }, opts: { mode: 'fast', k: [1, 2] } });
  });

  test('rejects a File object given for a directory input', async () => {
    const flow = 'inputs:\n  d: directory\nsteps:\n  s:\n    command: [ls, $(d)]\n    in: { d: d }\n';
    const dir = await tempDir({ 'flow.yaml': flow, 'inputs.yaml': 'd: { class: File, path: x }\n' });
    await rejectsWith(loadInputs(await loadWorkflow(dir)), 'inputs.yaml:1:4', "input 'd' is directory", "got class 'File'");
  });

  test('reads an inputs file given explicitly', async () => {
    const { dir, wf } = await setup();
    const other = await tempDir({ 'my.yaml': `corpus: ${dir}/data/a.txt\nindex: ${dir}/data/idx\nreads: []\n` });
    const v = await loadInputs(wf, { file: path.join(other, 'my.yaml') });
    assert.deepEqual(v['corpus'], { class: 'File', path: path.join(dir, 'data/a.txt') });
  });

  test('reports a missing required input, naming the inputs file and the flag to use', async () => {
    const { wf } = await setup('corpus: data/a.txt\nreads: []\n');
    await rejectsWith(loadInputs(wf), 'inputs.yaml:1:1', 'workflow input "index"', 'flow.yaml:3:3', '--input index=<value>');
  });

  test('reports a missing required input at its declaration when there is no inputs file', async () => {
    const { wf } = await setup();
    await rejectsWith(loadInputs(wf), 'flow.yaml:2:3', 'workflow input "corpus"', 'required', 'inputs.yaml');
  });

  test('reports a missing input file at its line in the inputs file', async () => {
    const { wf } = await setup('corpus: data/a.txt\nindex: data/idx\nreads: [data/a.txt, data/nope.txt]\n');
    await rejectsWith(loadInputs(wf), 'inputs.yaml:3:8', "input 'reads'", 'data/nope.txt does not exist');
  });

  test('reports a directory given where a file is expected', async () => {
    const { wf } = await setup('corpus: data/idx\nindex: data/idx\nreads: []\n');
    await rejectsWith(loadInputs(wf), 'inputs.yaml:1:9', "input 'corpus'", 'is not a regular file');
  });

  test('reports a value of the wrong type at its line', async () => {
    const { wf } = await setup('corpus: data/a.txt\nindex: data/idx\nreads: []\nparts: many\n');
    await rejectsWith(loadInputs(wf), 'inputs.yaml:4:8', "input 'parts' is number", "expected a number but got the string 'many'");
  });

  test('reports an unknown input in the inputs file with a suggestion', async () => {
    const { wf } = await setup('corpsu: data/a.txt\n');
    await rejectsWith(loadInputs(wf), 'inputs.yaml:1:1', "'corpsu' is not an input", "did you mean 'corpus'?");
  });

  test('reports a bad --input value naming the flag', async () => {
    const { wf } = await setup('corpus: data/a.txt\nindex: data/idx\nreads: []\n');
    await rejectsWith(loadInputs(wf, { overrides: { parts: 'x' } }), '--input parts=x', 'is a number');
    await rejectsWith(loadInputs(wf, { overrides: { prts: '1' } }), '--input prts=1', "did you mean 'parts'?");
    await rejectsWith(loadInputs(wf, { overrides: { corpus: '/nonexistent/file' } }), '--input corpus=/nonexistent/file', 'does not exist');
  });

  test('rejects an --input flag without =', () => {
    assert.throws(() => parseInputFlag('parts'), /expected name=value/);
  });
});
