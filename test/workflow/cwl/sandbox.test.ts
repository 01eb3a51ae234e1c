/**
 * The CWL expression sandbox (DESIGN.md, "Where computation on plaintext
 * happens"; docs/workflow-format.md "CWL"): hostile expressions end in a
 * clean ExpressionError, and the sandbox keeps working afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpressionError, ExpressionSandbox } from '../../../src/workflow/cwl/expr/sandbox.js';
import { evaluate } from '../../../src/workflow/cwl/expr/evaluate.js';

// A short deadline so that the infinite loop ends quickly; it is a configured limit, not a timed assertion.
const limits = { timeMs: 300, memoryBytes: 64 * 1024 * 1024 };

test('an expression cannot reach the host through the Function constructor', async () => {
  const sb = await ExpressionSandbox.create([], limits);
  try {
    assert.throws(() => sb.evaluate('paren', "this.constructor.constructor('return process')().exit(7)", {}), ExpressionError);
    assert.equal(sb.evaluate('paren', "typeof this.constructor.constructor('return typeof process')()", {}), 'string');
    assert.equal(sb.evaluate('paren', "this.constructor.constructor('return typeof process')()", {}), 'undefined');
    assert.equal(sb.evaluate('paren', 'typeof require + typeof setTimeout + typeof fetch', {}), 'undefinedundefinedundefined');
  } finally {
    sb.dispose();
  }
});

test('an infinite loop is interrupted at the time limit and the sandbox is usable again', async () => {
  const sb = await ExpressionSandbox.create([], limits);
  try {
    assert.throws(() => sb.evaluate('brace', 'while (true) {}', {}), /did not finish within 300 ms/);
    assert.equal(sb.evaluate('paren', '1 + 1', {}), 2);
  } finally {
    sb.dispose();
  }
});

test('an endless promise chain is a step failure, not a hang', async () => {
  const sb = await ExpressionSandbox.create([], limits);
  try {
    assert.throws(() => sb.evaluate('brace', 'function f() { return Promise.resolve().then(f); } f(); return 1;', {}), /promise jobs|did not finish/);
    assert.throws(() => sb.evaluate('paren', 'Promise.resolve(3)', {}), /returned a Promise/);
  } finally {
    sb.dispose();
  }
});

test('a 1 GiB allocation fails against the memory limit', async () => {
  const sb = await ExpressionSandbox.create([], { ...limits, timeMs: 10_000 });
  try {
    assert.throws(() => sb.evaluate('brace', 'var a = new Array(134217728).fill(1.5); return a.length;', {}), /ran out of memory \(limit 67108864 bytes\)/);
    assert.throws(() => sb.evaluate('paren', 'new ArrayBuffer(1024 * 1024 * 1024).byteLength', {}), ExpressionError);
    assert.equal(sb.evaluate('paren', 'inputs.n * 2', { inputs: { n: 21 } }), 42);
  } finally {
    sb.dispose();
  }
});

test('expressions see JSON copies of inputs, self and runtime, and expressionLib', async () => {
  const sb = await ExpressionSandbox.create(['function twice(x) { return x * 2; }'], limits);
  try {
    const inputs = { a: { class: 'File', path: '/x/a.txt' }, n: 3 };
    assert.equal(evaluate('$(twice(inputs.n))', { inputs }, { js: sb }), 6);
    assert.equal(evaluate('${ inputs.n = 9; return inputs.n; }', { inputs }, { js: sb }), 9);
    assert.equal(inputs.n, 3);
    assert.equal(evaluate('x $(inputs.a.path) $(runtime.cores)', { inputs, runtime: { cores: 2 } }, { js: sb }), 'x /x/a.txt 2');
    assert.equal(evaluate('$(undefined)', {}, { js: sb }), null);
  } finally {
    sb.dispose();
  }
});

test('parameter references are evaluated without JavaScript, and JavaScript is refused without the sandbox', () => {
  const inputs = { f: { class: 'File', path: '/d/f.txt', basename: 'f.txt' }, xs: [1, 2, 3], 'a b': 'sp' };
  assert.equal(evaluate('$(inputs.f.basename)', { inputs }, {}), 'f.txt');
  assert.equal(evaluate('$(inputs.xs.length)', { inputs }, {}), 3);
  assert.equal(evaluate("$(inputs['a b'])", { inputs }, {}), 'sp');
  assert.deepEqual(evaluate('$(inputs.xs)', { inputs }, {}), [1, 2, 3]);
  assert.equal(evaluate('n=$(inputs.xs[1]) \\$(literal)', { inputs }, {}), 'n=2 $(literal)');
  assert.throws(() => evaluate('$(inputs.xs.map(String))', { inputs }, {}), ExpressionError);
  assert.throws(() => evaluate('${ return 1; }', { inputs }, {}), /InlineJavascriptRequirement/);
});
