/**
 * The YAML nesting limit (src/yaml-depth.ts): every YAML file sealflow reads
 * is refused with `file:line:column` and exit 2 when it nests deeper than
 * 100 levels, before a parser could overflow its stack.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parsePolicy } from '../../src/attestation/policy-load.js';
import { InputError } from '../../src/errors.js';
import { loadInputs, loadWorkflow, YamlSource } from '../../src/workflow/index.js';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { MAX_YAML_DEPTH, yamlTooDeepAt } from '../../src/yaml-depth.js';
import { REPO, runCli } from '../helpers/cli.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

/** The hostile texts of the hardening issue and their relatives, each far past the limit. */
const DEEP: Readonly<Record<string, string>> = {
  'a: followed by 3,000 [': 'a: ' + '['.repeat(3000),
  '5,000 "- " on one line': '- '.repeat(5000) + 'x\n',
  '20,000 {': 'a: ' + '{'.repeat(20000),
  '3,000 closed [ ]': 'a: ' + '['.repeat(3000) + ']'.repeat(3000) + '\n',
  'a map indented one more space per line, 3,000 lines': Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:\n`).join(''),
  'a list indented one more space per line, 3,000 lines': Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}-\n`).join(''),
  '3,000 "{a: "': 'x: ' + '{a: '.repeat(3000),
  // Found by the fuzzer: after the error, the yaml package builds block maps from these lines.
  'a map indented one more space per line inside an open flow sequence': 'cmd: [a, $(r' + Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:\n`).join(''),
  '"- " 3,000 times inside a flow sequence': 'a: [' + '- '.repeat(3000),
  // Found by the fuzzer: a line indented less than a block scalar's first line ends the scalar.
  '"- " 3,000 times after a folded scalar, indented less than its text': 'doc: >\n  text\n ' + '- '.repeat(3000),
};

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...yamlFilesUnder(p));
    else if (e.isFile() && e.name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

describe('YAML nesting limit', () => {
  test('every YAML file of the examples and fixtures nests far less deep than the limit', () => {
    const files = [...yamlFilesUnder(path.join(REPO, 'examples')), ...yamlFilesUnder(path.join(REPO, 'test', 'fixtures'))];
    assert.ok(files.length > 10);
    for (const f of files) assert.equal(yamlTooDeepAt(fs.readFileSync(f, 'utf8'), 20), -1, `${f} nests deeper than 20 levels`);
  });

  test('brackets inside quoted scalars, comments and block scalars do not count', () => {
    const open = '['.repeat(500);
    const text = `a: "${open}"\nb: '${open}'\n# ${open}\nc: |\n  ${open}\n  ${'{'.repeat(500)}\nd: x${open}\n`;
    assert.equal(yamlTooDeepAt(text), -1);
  });

  for (const [name, text] of Object.entries(DEEP)) {
    test(`a workflow of ${name} is refused with file:line:column, not a stack overflow`, async () => {
      await rejectsWith(YamlSource.parse('/tmp/deep/flow.yaml', text), /\/tmp\/deep\/flow\.yaml:\d+:\d+: the YAML nests deeper than 100 levels/);
    });
  }

  test('100 levels of flow, block maps and block lists still parse with both parsers', async () => {
    const n = MAX_YAML_DEPTH - 2;
    for (const text of ['a: ' + '['.repeat(n) + ']'.repeat(n) + '\n', Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:\n`).join(''), 'a: ' + '{b: '.repeat(n) + '}'.repeat(n) + '\n']) {
      assert.equal(yamlTooDeepAt(text), -1);
      const src = await YamlSource.parse('/tmp/ok.yaml', text);
      assert.ok(src.root.kind === 'map' || src.root.kind === 'seq');
    }
  });

  test('a deep inputs file, run configuration and policy are refused with their file:line', async () => {
    const deep = 'a: ' + '['.repeat(3000) + '\n';
    const dir = await tempDir({ 'flow.yaml': fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'engine', 'chain', 'flow.yaml'), 'utf8'), 'inputs.yaml': deep, 'sealflow.yaml': deep });
    const wf = await loadWorkflow(dir);
    await rejectsWith(loadInputs(wf, { file: path.join(dir, 'inputs.yaml') }), /inputs\.yaml:1:\d+: the YAML nests deeper than 100 levels/);
    await rejectsWith(loadRunConfig(wf, path.join(dir, 'sealflow.yaml')), /sealflow\.yaml:1:\d+: the YAML nests deeper than 100 levels/);
    assert.throws(() => parsePolicy('sev-snp:\n  measurements: ' + '['.repeat(5000), 'policy.yaml'), (e: unknown) => e instanceof InputError && /policy\.yaml:2:\d+: the YAML nests deeper than 100 levels/.test(e.message));
  });

  test('sealflow run on a deeply nested flow.yaml exits 2 with file:line:column and no internal error', async () => {
    const dir = await tempDir({ 'flow.yaml': DEEP['a: followed by 3,000 ['] as string });
    const r = await runCli(['run', '--state-dir', path.join(dir, 'state'), path.join(dir, 'flow.yaml')], { cwd: dir, env: { SEALFLOW_HOME: path.join(dir, 'home') } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /flow\.yaml:1:\d+: the YAML nests deeper than 100 levels/);
    assert.doesNotMatch(r.stderr, /internal error|call stack/);
  });
});
