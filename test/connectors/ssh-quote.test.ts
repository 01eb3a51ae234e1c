/**
 * The ssh transport's pieces that need no host: POSIX shell quoting (read
 * back by the real `sh` and `bash`), the readers of host output, the
 * classification of ssh's errors, the deployment options' validation, and a
 * short fixed-seed run of the ssh fuzz targets (test/fuzz/targets/ssh.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/errors.js';
import { compileSshOptions, shCommand, shQuote } from '../../src/connectors/ssh/index.js';
import { parseNodeVersion, parsePgidLine, parseSshG, parseSweep, parseUploadCheck } from '../../src/connectors/ssh/parse.js';
import { prng } from '../helpers/bytes.js';
import { targets } from '../fuzz/targets/ssh.js';

describe('POSIX shell quoting of remote arguments', () => {
  const words = [
    '', ' ', "'", "''", '"', '\\', '$HOME', '`id`', '$(id)', '; rm -rf /', 'a b\tc\nd', '*', '~', '-n', '--', '!', '#x', '{a,b}',
    'ünïcødé 🙂', '\x01\x7f', 'it\'s "odd"', 'plain-word_1.2:3=4@5%6+7,8',
  ];
  const rand = prng(7);
  for (let i = 0; i < 200; i++) {
    const n = Math.floor(rand() * 12);
    let s = '';
    for (let j = 0; j < n; j++) s += String.fromCodePoint(1 + Math.floor(rand() * 0x2ff));
    words.push(s);
  }

  for (const shell of ['sh', 'bash']) {
    test(`${shell} reads every quoted argument back byte for byte`, () => {
      const out = execFileSync(shell, ['-c', `printf '%s\\0' ${shCommand(words)}`], { encoding: 'utf8' });
      assert.deepEqual(out.split('\0').slice(0, -1), words);
    });
  }

  test('refuses an argument with a NUL byte, which no command line can carry', () => {
    assert.throws(() => shQuote('a\0b'), (e: unknown) => e instanceof InputError && /NUL byte/.test(e.message));
  });

  test('leaves plain words unquoted and single-quotes everything else', () => {
    assert.equal(shQuote('node'), 'node');
    assert.equal(shQuote(''), "''");
    assert.equal(shQuote("it's"), `'it'\\''s'`);
    assert.equal(shCommand(['kill', '-KILL', '--', '-42']), 'kill -KILL -- -42');
  });
});

describe('readers of what the host prints', () => {
  test('node versions: only a plain vMAJOR.MINOR.PATCH is a version', () => {
    assert.deepEqual(parseNodeVersion('v20.11.1\n'), [20, 11, 1]);
    assert.deepEqual(parseNodeVersion('v22.0.0-rc.1'), [22, 0, 0]);
    for (const bad of ['', '20.1.1', 'v20.1', 'Welcome!\nv20.1.1', 'v20.1.1 extra']) assert.equal(parseNodeVersion(bad), null, bad);
  });

  test('the pgid line is a positive process group above 1', () => {
    assert.equal(parsePgidLine('sealflow-pgid 4242'), 4242);
    for (const bad of ['sealflow-pgid 1', 'sealflow-pgid 0', 'sealflow-pgid -5', 'sealflow-pgid 42 ', 'pgid 42', 'sealflow-pgid 99999999999']) {
      assert.equal(parsePgidLine(bad), null, bad);
    }
  });

  test('the upload check is a byte count and a SHA-256, nothing else', () => {
    const h = 'ab'.repeat(32);
    assert.deepEqual(parseUploadCheck(`12\n${h}  -\n`), { size: 12, sha256: h });
    assert.equal(parseUploadCheck(`12\n${h}  -\nextra\n`), null);
    assert.equal(parseUploadCheck(`12\n${h.toUpperCase()}  -\n`), null);
  });

  test('the sweep report keeps only well-formed lines about opaque names', () => {
    assert.deepEqual(parseSweep('removed 0123456789abcdef01234567\nkept 0123456789abcdef01234568 locked\nkept ../x live\nremoved 0123456789abcdef01234569 live\nkept 0123456789abcdef0123456a bogus\n'), [
      { name: '0123456789abcdef01234567', removed: true, reason: undefined },
      { name: '0123456789abcdef01234568', removed: false, reason: 'locked' },
    ]);
  });

  test('ssh -G: the first value of each keyword, as ssh itself takes it', () => {
    assert.deepEqual(parseSshG('hostname a\nhostname b\nport 2222\nuser u\nhostkeyalias none\nuserknownhostsfile /k1 /k2\n'), {
      hostname: 'a', port: 2222, user: 'u', hostKeyAlias: undefined, userKnownHostsFiles: ['/k1', '/k2'],
    });
    assert.equal(parseSshG('hostname a\nport 0\nuser u\n'), null);
  });
});

describe('ssh deployment options', () => {
  const bad = (raw: Record<string, unknown>, message: string) =>
    assert.throws(() => compileSshOptions('cloud', raw), (e: unknown) => e instanceof InputError && e.message === message);

  test('fills in the defaults for a bare host', () => {
    const o = compileSshOptions('cloud', { host: 'worker-a' });
    assert.deepEqual(
      { ...o },
      {
        deployment: 'cloud', host: 'worker-a', hosts: ['worker-a'], port: undefined, user: undefined, identityFile: undefined, configFile: undefined, knownHosts: undefined,
        acceptNewHostKey: false, nodePath: 'node', baseDir: '.sealflow-worker', connectTimeout: 10, aliveInterval: 1, aliveCountMax: 3, controlPersist: 60,
      },
    );
  });

  test('refuses a password, unknown options, and values of the wrong shape, naming the deployment and the option', () => {
    bad({ host: 'h', password: 'x' }, 'deployment "cloud": ssh option "password" is not accepted: sealflow never uses passwords for SSH; use identityFile or a key in the SSH agent');
    bad({ host: 'h', hots: 'x' }, 'deployment "cloud": ssh option "hots" is unknown (known: host, hosts, port, user, identityFile, configFile, knownHosts, acceptNewHostKey, nodePath, baseDir, connectTimeout, aliveInterval, aliveCountMax, controlPersist)');
    bad({}, 'deployment "cloud": ssh option "host" is required (an address, a host name or an alias of your ~/.ssh/config; or "hosts" for several)');
    bad({ host: 'a', hosts: ['b'] }, 'deployment "cloud": ssh option "hosts" and "host" are both given: use "host" for one host, or "hosts" for several');
    bad({ hosts: [] }, 'deployment "cloud": ssh option "hosts" must be a list of 1 to 64 host names, addresses or ssh config aliases, got []');
    bad({ hosts: ['a', 'a'] }, 'deployment "cloud": ssh option "hosts" lists a host twice: ["a","a"]');
    bad({ hosts: ['a', 7] }, 'deployment "cloud": ssh option "hosts" entry 2 must be a non-empty string without control characters, got 7');
    bad({ hosts: ['a', '-oProxyCommand=x'] }, 'deployment "cloud": ssh option "hosts" must be a host name, address or ssh config alias, got "-oProxyCommand=x" (put the user in "user")');
    bad({ host: '-oProxyCommand=x' }, 'deployment "cloud": ssh option "host" must be a host name, address or ssh config alias, got "-oProxyCommand=x" (put the user in "user")');
    bad({ host: 'root@h' }, 'deployment "cloud": ssh option "host" must be a host name, address or ssh config alias, got "root@h" (put the user in "user")');
    bad({ host: 'h', port: 70000 }, 'deployment "cloud": ssh option "port" must be an integer from 1 to 65535, got 70000');
    bad({ host: 'h', port: '22' }, 'deployment "cloud": ssh option "port" must be an integer from 1 to 65535, got "22"');
    bad({ host: 'h', acceptNewHostKey: 'yes' }, 'deployment "cloud": ssh option "acceptNewHostKey" must be true or false, got "yes"');
    bad({ host: 'h', identityFile: '/nonexistent/id' }, 'deployment "cloud": ssh option "identityFile" names /nonexistent/id, which cannot be read: check the path');
    bad({ host: 'h', knownHosts: '/nonexistent/dir/kh' }, 'deployment "cloud": ssh option "knownHosts" names /nonexistent/dir/kh, whose directory does not exist');
    bad({ host: 'h', baseDir: '../elsewhere' }, 'deployment "cloud": ssh option "baseDir" must be a path without ".." or spaces, got "../elsewhere"');
    bad({ host: 'h', user: 'a b' }, 'deployment "cloud": ssh option "user" must be a plain user name, got "a b"');
  });

  test('hosts lists several hosts sharing the other options; the first is the host', () => {
    const o = compileSshOptions('cloud', { hosts: ['a', 'b'], user: 'u' });
    assert.equal(o.host, 'a');
    assert.deepEqual(o.hosts, ['a', 'b']);
  });

  test('resolves file options to absolute paths at the edge', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-opt-'));
    try {
      fs.writeFileSync(path.join(dir, 'id'), 'k');
      const rel = path.relative(process.cwd(), path.join(dir, 'id'));
      assert.equal(compileSshOptions('cloud', { host: 'h', identityFile: rel }).identityFile, path.join(dir, 'id'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fuzz targets of the ssh transport', () => {
  const ROUNDS = 400;
  for (const t of targets) {
    test(`${t.name}: ${ROUNDS} mutated inputs are each accepted or refused with the project's own error`, async () => {
      const seeds = await t.seeds();
      const rand = prng(13);
      for (let i = 0; i < ROUNDS; i++) {
        const m = Buffer.from(seeds[i % seeds.length]!);
        for (let j = 0, n = 1 + Math.floor(rand() * 4); j < n && m.length > 0; j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
        const input = rand() < 0.3 ? m.subarray(0, Math.floor(rand() * m.length)) : m;
        try {
          await t.run(input);
        } catch (err) {
          assert.ok(t.isOwnError(err), `input ${input.toString('base64')}: ${String(err)}`);
        }
      }
    });
  }
});
