/**
 * The CWL loader (docs/workflow-format.md "CWL", "Loading"): what the master
 * reads is confined to the root document's directory, remote locations are
 * refused, and every refusal names file:line and what to do.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { clearDocumentCache } from '../../../src/workflow/cwl/load/read.js';
import { loadCwl } from '../../../src/workflow/cwl/load/normalize.js';

function world(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-cwl-load-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  clearDocumentCache();
  return root;
}

const TOOL = 'cwlVersion: v1.2\nclass: CommandLineTool\nbaseCommand: echo\ninputs: []\noutputs: []\n';

function refuses(file: string, pattern: RegExp): void {
  assert.throws(
    () => loadCwl(file),
    (e: unknown) => e instanceof InputError && pattern.test(e.message),
  );
}

test('a tool loads with long-form types, short ids and requirement arrays', () => {
  const root = world({ 'wf/t.cwl': 'cwlVersion: v1.2\nclass: CommandLineTool\nrequirements:\n  ShellCommandRequirement: {}\ninputs:\n  a: File?\n  b: { type: "string[]", inputBinding: { prefix: -b } }\noutputs:\n  o: stdout\nbaseCommand: cat\n' });
  const p = loadCwl(path.join(root, 'wf/t.cwl'));
  assert.deepEqual(p.inputs.map((i) => [i.id, i.type]), [['a', ['null', 'File']], ['b', { type: 'array', items: 'string' }]]);
  assert.equal(p.requirements[0]?.class, 'ShellCommandRequirement');
  assert.equal(p.outputs[0]?.type, 'File');
  assert.match(String(p.stdout), /^stdout-/);
});

test('$import and $include outside the document\'s directory are refused with file:line', () => {
  const root = world({ 'secret.yml': 'x: 1\n', 'wf/a.cwl': `${TOOL}hints:\n  - $import: ../secret.yml\n`, 'wf/b.cwl': `${TOOL}doc:\n  $include: /etc/passwd\n` });
  refuses(path.join(root, 'wf/a.cwl'), /a\.cwl:7: \$import '\.\.\/secret\.yml' resolves outside the workflow's directory .*copy the file there/);
  refuses(path.join(root, 'wf/b.cwl'), /b\.cwl:7: \$include '\/etc\/passwd' resolves outside/);
});

test('run files and default locations outside the directory, and http(s) locations, are refused', () => {
  const root = world({
    'other.cwl': TOOL,
    'wf/w.cwl': 'cwlVersion: v1.2\nclass: Workflow\ninputs: []\noutputs: []\nsteps:\n  s:\n    run: ../other.cwl\n    in: []\n    out: []\n',
    'wf/d.cwl': 'cwlVersion: v1.2\nclass: CommandLineTool\nbaseCommand: cat\ninputs:\n  f:\n    type: File\n    default: { class: File, location: ../../../etc/shadow }\noutputs: []\n',
    'wf/h.cwl': 'cwlVersion: v1.2\nclass: Workflow\ninputs: []\noutputs: []\nsteps:\n  s:\n    run: https://example.org/tool.cwl\n    in: []\n    out: []\n',
  });
  refuses(path.join(root, 'wf/w.cwl'), /w\.cwl:7: run '\.\.\/other\.cwl' resolves outside/);
  refuses(path.join(root, 'wf/d.cwl'), /d\.cwl:\d+: File location '\.\.\/\.\.\/\.\.\/etc\/shadow' resolves outside/);
  refuses(path.join(root, 'wf/h.cwl'), /h\.cwl:7: 'https:\/\/example\.org\/tool\.cwl' is a remote location; sealflow reads only local files/);
});

test('an $import cycle, deep nesting and a v1.2 feature in a v1.0 document are refused, not looped on', () => {
  const root = world({ 'a.yml': '$import: b.yml\n', 'b.yml': '$import: a.yml\n', 'c.cwl': `${TOOL}hints:\n  $import: a.yml\n`, 'deep.cwl': `${'['.repeat(500)}${']'.repeat(500)}\n`, 't.cwl': TOOL, 'old.cwl': 'cwlVersion: v1.0\nclass: Workflow\ninputs: []\noutputs: []\nsteps:\n  s:\n    run: t.cwl\n    when: $(true)\n    in: []\n    out: []\n' });
  refuses(path.join(root, 'c.cwl'), /\$import nests deeper than 50 documents/);
  refuses(path.join(root, 'deep.cwl'), /deep\.cwl:1: the YAML nests deeper than 100 levels/);
  refuses(path.join(root, 'old.cwl'), /old\.cwl:7: step s: 'when' is CWL v1\.2; this document says cwlVersion v1\.0/);
});

test('a document that is not a CWL process says what is expected', () => {
  const root = world({ 'x.cwl': 'cwlVersion: v1.2\nclass: Tool\n', 'y.cwl': 'class: Workflow\n', 'z.cwl': 'cwlVersion: v9\nclass: Workflow\n' });
  refuses(path.join(root, 'x.cwl'), /x\.cwl:1: class 'Tool' is not a CWL process; use CommandLineTool, ExpressionTool or Workflow/);
  refuses(path.join(root, 'y.cwl'), /y\.cwl:1: no cwlVersion; add 'cwlVersion: v1\.2'/);
  refuses(path.join(root, 'z.cwl'), /cwlVersion v9 is not supported/);
});
