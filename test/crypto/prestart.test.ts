import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoInputOf as inputOf } from '../../src/crypto/prestart.js';
import { cryptoValueFlags, DECRYPT_FLAGS, ENCRYPT_FLAGS, valueFlags } from '../../src/cli/crypto-flags.js';

const cryptoInputOf = (argv: readonly string[]) => inputOf(argv, cryptoValueFlags());
import { Command } from 'commander';
import { register as registerDecrypt } from '../../src/cli/commands/decrypt.js';
import { register as registerEncrypt } from '../../src/cli/commands/encrypt.js';

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

describe('the early worker start knows the same value-taking options as the commands', () => {
  /** Every spelling of the options of `name` that take a value, as the real commander program declares them. */
  function commanderValueFlags(name: 'encrypt' | 'decrypt'): string[] {
    const program = new Command('sealflow');
    (name === 'encrypt' ? registerEncrypt : registerDecrypt)(program);
    const cmd = program.commands.find((c) => c.name() === name);
    assert.ok(cmd, `the program has no ${name} command`);
    return cmd.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined)).sort();
  }

  for (const name of ['encrypt', 'decrypt'] as const) {
    test(`every option of ${name} that takes a value is skipped with its value, and no other`, () => {
      const declared = commanderValueFlags(name);
      assert.deepEqual(valueFlags(name === 'encrypt' ? ENCRYPT_FLAGS : DECRYPT_FLAGS).sort(), declared);
      for (const flag of declared) assert.equal(cryptoInputOf([name, flag, 'value', 'in.bin']), 'in.bin', `${flag} VALUE in.bin`);
    });
  }

  test('decrypt --untar DIR FILE reads FILE, not DIR, as the input', () => {
    assert.equal(cryptoInputOf(['decrypt', '-i', 'k', '--untar', 'outdir', 'dir.tar.age']), 'dir.tar.age');
  });

  test('flags of the other command are not taken to have a value', () => {
    // -i takes a value for decrypt only; for encrypt it is an unknown flag (commander reports it).
    assert.equal(cryptoInputOf(['encrypt', '-i', 'in.bin']), 'in.bin');
  });
});
