import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expandArgv, TemplateError } from '../../src/worker/executor/template.js';
import { globIn } from '../../src/worker/executor/glob.js';

const scope = {
  inputs: { f: { class: 'File' as const, path: '/data/a b.txt' }, xs: ['1', '2'], n: 3, none: null, s: "it's" },
  threads: 4,
  memory: 1024,
};

describe('argv templating', () => {
  test('a whole-argument array expands to one argument per element, null to none', () => {
    assert.deepEqual(expandArgv(['cmd', '$(xs)', '$(none)', '-p', '$(threads)', '--mem=$(memory)'], scope, false), ['cmd', '1', '2', '-p', '4', '--mem=1024']);
  });
  test('a file expands to its path, unsplit and unquoted without a shell', () => {
    assert.deepEqual(expandArgv(['cat', '$(f)', 'x=$(xs)'], scope, false), ['cat', '/data/a b.txt', 'x=1 2']);
  });
  test('with shell: true values are single-quoted and literal text is kept', () => {
    assert.deepEqual(expandArgv(['cat', '$(f)', '|', 'grep', '$(s)'], scope, true), ['/bin/sh', '-c', `cat '/data/a b.txt' | grep 'it'\\''s'`]);
  });
  test('a reference to no input is an error', () => {
    assert.throws(() => expandArgv(['$(nope)'], scope, false), TemplateError);
  });
});

describe('output globs', () => {
  test('match within segments, sorted, never outside the scratch directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-glob-'));
    for (const f of ['part-b', 'part-a', 'other', 'sub/x.txt', 'sub/y.txt', '.hidden']) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), '');
    }
    assert.deepEqual(globIn(dir, 'part-*'), ['part-a', 'part-b']);
    assert.deepEqual(globIn(dir, 'sub/*.txt'), ['sub/x.txt', 'sub/y.txt']);
    assert.deepEqual(globIn(dir, 'other'), ['other']);
    assert.deepEqual(globIn(dir, '*'), ['other', 'part-a', 'part-b', 'sub']);
    assert.deepEqual(globIn(dir, '../*'), []);
    assert.deepEqual(globIn(dir, '/etc/passwd'), []);
  });
});
