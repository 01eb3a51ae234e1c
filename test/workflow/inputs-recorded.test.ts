/**
 * A resumed run's recorded inputs (loadInputs `recorded`): checked against the
 * workflow as it is now exactly like given values, layered under an explicit
 * inputs file and --input, over the default inputs.yaml.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadInputs, loadWorkflow } from '../../src/workflow/index.js';
import type { PortValue } from '../../src/workflow/model.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

const FLOW = ['inputs:', '  text: file', '  n: { type: number, default: 1 }', 'steps:', '  s:', '    command: [cat, $(t)]', '    in: { t: text, n: n }', ''].join('\n');
const label = '--resume R: recorded input';

async function setup(flow = FLOW, inputsYaml?: string) {
  const dir = await tempDir({ 'flow.yaml': flow, 'a.txt': 'a', 'b.txt': 'b', ...(inputsYaml !== undefined ? { 'inputs.yaml': inputsYaml } : {}) });
  return { dir, wf: await loadWorkflow(dir) };
}

describe('recorded inputs of a resumed run', () => {
  test('recorded values are reused and win over the default inputs.yaml, which still gives an input the record lacks', async () => {
    const flow = FLOW.replace('  n: { type: number, default: 1 }', '  n: { type: number, default: 1 }\n  tag: string');
    const { dir, wf } = await setup(flow, 'text: b.txt\ntag: new\n');
    const recorded: Record<string, PortValue> = { text: { class: 'File', path: path.join(dir, 'a.txt') }, n: 5, gone: 'an input the workflow no longer has' };
    const v = await loadInputs(wf, { recorded: { values: recorded, label } });
    assert.deepEqual(v, { text: { class: 'File', path: path.join(dir, 'a.txt') }, n: 5, tag: 'new' });
  });

  test('an explicit inputs file and --input override recorded values', async () => {
    const { dir, wf } = await setup();
    fs.writeFileSync(path.join(dir, 'other.yaml'), 'text: b.txt\n');
    const recorded: Record<string, PortValue> = { text: { class: 'File', path: path.join(dir, 'a.txt') }, n: 5 };
    const v = await loadInputs(wf, { file: path.join(dir, 'other.yaml'), overrides: { n: '7' }, recorded: { values: recorded, label } });
    assert.deepEqual(v, { text: { class: 'File', path: path.join(dir, 'b.txt') }, n: 7 });
  });

  test('a new required input missing from the record is the error a fresh run gives', async () => {
    const flow = FLOW.replace('  n: { type: number, default: 1 }', '  n: { type: number, default: 1 }\n  tag: string');
    const { dir, wf } = await setup(flow);
    const fresh = await rejectsWith(loadInputs(wf, { overrides: { text: path.join(dir, 'a.txt') } }), 'workflow input "tag"', 'the input is required (type string)');
    const resumed = await rejectsWith(loadInputs(wf, { recorded: { values: { text: { class: 'File', path: path.join(dir, 'a.txt') } }, label } }));
    assert.equal(resumed.message, fresh.message);
  });

  test('a recorded file that is gone, or a recorded value that no longer fits its port, is refused naming the run and the input', async () => {
    const { dir, wf } = await setup();
    await rejectsWith(loadInputs(wf, { recorded: { values: { text: { class: 'File', path: path.join(dir, 'gone.txt') } }, label } }), `${label} text: input 'text': file`, 'does not exist');
    await rejectsWith(loadInputs(wf, { recorded: { values: { text: { class: 'File', path: path.join(dir, 'a.txt') }, n: 'five' }, label } }), `${label} n: input 'n' is now number`, '--input n=<value>');
  });
});
