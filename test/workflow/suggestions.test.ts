/**
 * docs/workflow-format.md: "an unknown key is an error that suggests the
 * nearest valid one" — in the workflow, a step, its requirements, the inputs
 * and the run configuration, through one helper (src/suggest.ts). Before,
 * `retry:` got no "did you mean 'retries'" (edit distance 3).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nearest } from '../../src/suggest.js';
import { loadInputs, loadWorkflow } from '../../src/workflow/index.js';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

const STEP = ['steps:', '  a:', '    command: [true]', ''].join('\n');

describe('the nearest valid key', () => {
  test('catches another form of the same word as well as typos', () => {
    assert.equal(nearest('retry', ['run', 'retries', 'requirements']), 'retries');
    assert.equal(nearest('deploy', ['deployments', 'default']), 'deployments');
    assert.equal(nearest('scater', ['scatter', 'stdout']), 'scatter');
    assert.equal(nearest('Threads', ['threads']), 'threads');
  });

  test('suggests nothing for an unrelated word', () => {
    assert.equal(nearest('colour', ['run', 'command', 'retries']), undefined);
    assert.equal(nearest('reti', ['retries']), undefined, 'a 4-letter stem must be most of both words');
  });
});

describe('unknown keys suggest the nearest valid one, wherever the docs promise it', () => {
  test('in a step: retry -> retries', async () => {
    const dir = await tempDir({ 'flow.yaml': ['steps:', '  a:', '    command: [true]', '    retry: 2', ''].join('\n') });
    await rejectsWith(loadWorkflow(dir), 'flow.yaml:4:5', "unknown key 'retry'", "did you mean 'retries'?");
  });

  test('at the top of the workflow', async () => {
    const dir = await tempDir({ 'flow.yaml': `input:\n  x: string\n${STEP}` });
    await rejectsWith(loadWorkflow(dir), 'flow.yaml:1:1', "unknown key 'input'", "did you mean 'inputs'?");
  });

  test('in requirements', async () => {
    const dir = await tempDir({ 'flow.yaml': ['steps:', '  a:', '    command: [true]', '    requirements: { thread: 2 }', ''].join('\n') });
    await rejectsWith(loadWorkflow(dir), 'flow.yaml:4', "unknown key 'thread'", "did you mean 'threads'?");
  });

  test('in an input declaration', async () => {
    const dir = await tempDir({ 'flow.yaml': `inputs:\n  x: { type: string, defaults: a }\n${STEP}` });
    await rejectsWith(loadWorkflow(dir), 'flow.yaml:2', "unknown key 'defaults'", "did you mean 'default'?");
  });

  test('in inputs.yaml', async () => {
    const dir = await tempDir({ 'flow.yaml': `inputs:\n  corpus: string\n${STEP}`, 'inputs.yaml': 'corpora: x\n' });
    await rejectsWith(loadInputs(await loadWorkflow(dir)), 'inputs.yaml:1:1', "'corpora' is not an input", "did you mean 'corpus'?");
  });

  test('in the run configuration and its deployments', async () => {
    const top = await tempDir({ 'flow.yaml': STEP, 'sealflow.yaml': 'deployment:\n  local: {}\n' });
    await rejectsWith(loadRunConfig(await loadWorkflow(top)), 'sealflow.yaml:1:1', "unknown key 'deployment'", "did you mean 'deployments'?");
    const dep = await tempDir({ 'flow.yaml': STEP, 'sealflow.yaml': 'deployments:\n  local: { worker: 2 }\n' });
    await rejectsWith(loadRunConfig(await loadWorkflow(dep)), 'sealflow.yaml:2', "unknown key 'worker'", "did you mean 'workers'?");
  });
});
