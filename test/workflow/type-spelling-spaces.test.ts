/**
 * Port types (`number[]?`) and memory sizes (`2 GiB`) with long runs of
 * spaces, which the fuzzer found: the old single regular expressions
 * (`\s*` beside optional groups) backtracked polynomially, so a flow.yaml
 * with `type: number` followed by 60,000 spaces and a stray character kept
 * the loader busy for minutes. They are now read piece by piece; the
 * timeout is only a guard, thousands of times what the new code needs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMemory, parseTypeSpec } from '../../src/workflow/index.js';

const SPACES = ' '.repeat(200_000);

test('a type with a long run of spaces before a stray character is refused at once, with a shortened quote', { timeout: 60_000 }, () => {
  const r = parseTypeSpec(`number${SPACES}x`);
  assert.equal(typeof r, 'string');
  assert.match(r as string, /^'number {74}…' is not a type/);
  assert.equal(typeof parseTypeSpec(`number${SPACES}[]${SPACES}?${SPACES}x`), 'string');
});

test('spaces around the parts of a type are still allowed', () => {
  assert.deepEqual(parseTypeSpec('  file [][] ? '), { type: { kind: 'array', items: { kind: 'array', items: { kind: 'file' } } }, optional: true });
  assert.deepEqual(parseTypeSpec(`string${SPACES}`), { type: { kind: 'string' }, optional: false });
  assert.equal(typeof parseTypeSpec('file [] []'), 'string', 'the brackets of one array type are written together');
});

test('a memory size with a long run of spaces before a stray character is refused at once', { timeout: 60_000 }, () => {
  assert.equal(parseMemory(`1${'1'.repeat(50_000)}${SPACES}x`), undefined);
  assert.equal(parseMemory(`2${SPACES}GiB`), 2 * 1024 ** 3);
  assert.equal(parseMemory(' 1.5 GB '), 1.5e9);
  assert.equal(parseMemory('512MiB'), 512 * 1024 ** 2);
  assert.equal(parseMemory('1.'), undefined);
  assert.equal(parseMemory('12 XB'), undefined);
});
