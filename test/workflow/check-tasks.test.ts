import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { checkTasks, loadWorkflow } from '../../src/workflow/index.js';
import { FIXTURES, rejectsWith, tempDir } from '../helpers/workflow.js';

const TASK = `import { defineTask } from 'sealflow';
export const count = defineTask({
  inputs: { text: 'file', min: 'number?' },
  outputs: { counts: 'file' },
  run(_i, ctx) { return { counts: ctx.path('c') }; },
});
export const helper = 42;
`;

async function setup(flow: string, task = TASK) {
  const dir = await tempDir({ 'flow.yaml': flow, 'tasks/count.ts': task });
  return loadWorkflow(dir);
}

describe('checkTasks', () => {
  test('accepts the documented example: exports exist, types agree, commands are on PATH', async () => {
    const wf = await loadWorkflow(path.join(FIXTURES, 'doc-example'));
    const checked = await checkTasks(wf, { path: '/usr/bin:/bin' });
    assert.equal(checked.tasks.size, 4);
    const spec = checked.tasks.get(`${path.join(FIXTURES, 'doc-example', 'tasks', 'map.ts')}#merge`);
    assert.deepEqual(spec?.inputs['parts'], { type: { kind: 'array', items: { kind: 'file' } }, optional: false });
  });

  test('reports a task module without the named export and suggests the nearest', async () => {
    const wf = await setup('inputs:\n  t: file\nsteps:\n  wc:\n    run: ./tasks/count.ts#cont\n    in: { text: t }\n    out: { counts: file }\n');
    await rejectsWith(checkTasks(wf), 'flow.yaml:5:10', 'step "wc"', "has no export named 'cont'", "did you mean 'count'?");
  });

  test('reports an export that is not a defineTask value', async () => {
    const wf = await setup('inputs:\n  t: file\nsteps:\n  wc:\n    run: ./tasks/count.ts#helper\n    in: { text: t }\n    out: { counts: file }\n');
    await rejectsWith(checkTasks(wf), 'flow.yaml:5:10', 'step "wc"', "export 'helper'", 'is not a task');
  });

  test('reports a missing task module', async () => {
    const wf = await setup('steps:\n  wc:\n    run: ./tasks/nope.ts#count\n');
    await rejectsWith(checkTasks(wf), 'flow.yaml:3:10', 'step "wc"', 'tasks/nope.ts does not exist');
  });

  test('reports a task module that does not compile', async () => {
    const wf = await setup('steps:\n  wc:\n    run: ./tasks/count.ts#count\n', 'export const count = {;\n');
    await rejectsWith(checkTasks(wf), 'flow.yaml:3:10', 'step "wc"', 'cannot load the task module', 'count.ts:1:');
  });

  test('reports a port type that differs from the task declaration', async () => {
    const wf = await setup('inputs:\n  t: string\nsteps:\n  wc:\n    run: ./tasks/count.ts#count\n    in: { text: t }\n    out: { counts: file }\n');
    await rejectsWith(checkTasks(wf), 'flow.yaml:6:11', 'step "wc"', "type mismatch: input 'text' is string", "task 'count'", 'declares file');
  });

  test('reports an output type that differs from the task declaration', async () => {
    const wf = await setup('inputs:\n  t: file\nsteps:\n  wc:\n    run: ./tasks/count.ts#count\n    in: { text: t }\n    out: { counts: "file[]" }\n');
    await rejectsWith(checkTasks(wf), 'flow.yaml:7:12', 'step "wc"', "output 'counts' is declared file[]", 'declares file');
  });

  test('reports a required task input the step does not connect', async () => {
    const wf = await setup('steps:\n  wc:\n    run: ./tasks/count.ts#count\n    out: { counts: file }\n');
    await rejectsWith(checkTasks(wf), 'flow.yaml:3:10', 'step "wc"', "needs input 'text' (file)");
  });

  test('reports a step input the task does not declare', async () => {
    const wf = await setup('inputs:\n  t: file\nsteps:\n  wc:\n    run: ./tasks/count.ts#count\n    in: { text: t, txt: t }\n    out: { counts: file }\n');
    await rejectsWith(checkTasks(wf), 'step "wc"', "input 'txt' is not an input of task 'count'", "did you mean 'text'?");
  });

  test('reports a task module whose top-level code does not finish, without running it in this process', async () => {
    const wf = await setup('steps:\n  wc:\n    run: ./tasks/count.ts#count\n', "export const count = 1;\nwhile (Date.now() > 0) { /* never ends */ }\n");
    await rejectsWith(checkTasks(wf, { timeoutMs: 1500 }), 'cannot read the task declarations', 'tasks/count.ts', 'longer than 1.5 s');
  });

  test('reports a task module that throws at import', async () => {
    const wf = await setup('steps:\n  wc:\n    run: ./tasks/count.ts#count\n', "export const count = 1;\nthrow new Error('boom at import');\n");
    await rejectsWith(checkTasks(wf), 'cannot read the task declarations', 'boom at import');
  });

  test('reads declarations of a module that prints at import and cannot see the master environment', async () => {
    const task = TASK.replace("export const helper = 42;", "console.log('noise', JSON.stringify(process.env));\nif (process.env['SEALFLOW_SECRET'] !== undefined) throw new Error('saw the secret');\nexport const helper = 42;");
    const wf = await setup('inputs:\n  t: file\nsteps:\n  wc:\n    run: ./tasks/count.ts#count\n    in: { text: t }\n    out: { counts: file }\n', task);
    process.env['SEALFLOW_SECRET'] = 'x';
    try {
      const checked = await checkTasks(wf);
      assert.equal(checked.tasks.size, 1);
    } finally {
      delete process.env['SEALFLOW_SECRET'];
    }
  });

  test('reports a module that exits the process at import', async () => {
    const wf = await setup('steps:\n  wc:\n    run: ./tasks/count.ts#count\n', 'export const count = 1;\nprocess.exit(0);\n');
    await rejectsWith(checkTasks(wf), 'cannot read the task declarations', 'ended the import');
  });

  test('checks a task module reached through a symbolic link', async () => {
    const real = await tempDir({ 'count.ts': TASK });
    const dir = await tempDir({ 'flow.yaml': 'inputs:\n  t: file\nsteps:\n  wc:\n    run: ./linked/count.ts#count\n    in: { text: t }\n    out: { counts: file }\n' });
    await symlink(real, path.join(dir, 'linked'));
    const checked = await checkTasks(await loadWorkflow(dir));
    assert.deepEqual([...checked.tasks.keys()], [`${path.join(dir, 'linked', 'count.ts')}#count`]);
  });

  test('reports a command that is not on PATH', async () => {
    const wf = await setup('steps:\n  align:\n    command: [bowtie9-align, -p, $(threads)]\n');
    await rejectsWith(checkTasks(wf, { path: '/usr/bin:/bin' }), 'flow.yaml:3:14', 'step "align"', "command 'bowtie9-align' is not on PATH");
  });

  test('reports a command path that is not executable', async () => {
    const wf = await setup('steps:\n  s:\n    command: [./tasks/count.ts]\n');
    await rejectsWith(checkTasks(wf), 'step "s"', 'is not an executable file');
  });

  test('reports a step input default that names a missing file', async () => {
    const wf = await setup('steps:\n  s:\n    command: [cat, $(ref)]\n    in:\n      ref: { type: file, default: data/ref.fa }\n');
    await rejectsWith(checkTasks(wf), 'flow.yaml:5:7', 'step "s"', "the default of input 'ref' names file", 'data/ref.fa, which does not exist');
  });

  test('resolves programs on PATH', async () => {
    const wf = await setup('steps:\n  s:\n    command: [sh, -c, "true"]\n');
    const checked = await checkTasks(wf, { path: '/nonexistent:/bin:/usr/bin' });
    assert.match(checked.programs.get('s') ?? '', /\/sh$/);
  });
});
