import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoInputOf } from '../../src/crypto/prestart.js';

describe('the early worker start reads the input of an encrypt/decrypt command line', () => {
  test('finds the input after options that take values', () => {
    assert.equal(cryptoInputOf(['encrypt', '-r', 'age1x', '-o', 'out.age', 'in.bin']), 'in.bin');
    assert.equal(cryptoInputOf(['decrypt', '-i', 'k', '--receipt', 'r.json', '--master-key', 'm', 'f.age']), 'f.age');
    assert.equal(cryptoInputOf(['encrypt', '-a', '-R', 'list', 'in.bin']), 'in.bin');
  });
  test('standard input when no input is named, or "-"', () => {
    assert.equal(cryptoInputOf(['encrypt', '-r', 'age1x']), undefined);
    assert.equal(cryptoInputOf(['decrypt', '-i', 'k', '-']), '-');
  });
  test('an argument after "--" is the input even if it looks like an option', () => {
    assert.equal(cryptoInputOf(['encrypt', '-r', 'age1x', '--', '-weird']), '-weird');
  });
  test('other commands and help start nothing', () => {
    assert.equal(cryptoInputOf(['run', 'wf.yaml']), null);
    assert.equal(cryptoInputOf([]), null);
    assert.equal(cryptoInputOf(['encrypt', '--help']), null);
  });
});
