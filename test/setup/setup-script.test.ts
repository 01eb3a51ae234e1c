/**
 * scripts/setup.sh, the first half of the README's first command, run with
 * fake `dpkg`, `apt-get`, `id`, `sudo` and `npm` on PATH that record what they
 * were asked to do: it installs only missing packages, only as root or with
 * password-less sudo, and otherwise prints the one line to run and stops.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';
import { PACKAGES } from '../helpers/needs.js';

const SCRIPT = path.join(REPO, 'scripts', 'setup.sh');

const FAKES: Record<string, string> = {
  // Installed packages are listed in $FAKE_INSTALLED.
  dpkg: 'echo "dpkg $*" >> "$FAKE_LOG"\nfor p in $FAKE_INSTALLED; do [ "$p" = "$2" ] && { echo "Package: $p"; echo "Status: install ok installed"; exit 0; }; done\necho "dpkg-query: package \'$2\' is not installed" >&2; exit 1',
  'apt-get': 'echo "apt-get $*" >> "$FAKE_LOG"',
  npm: 'echo "npm $*" >> "$FAKE_LOG"',
  id: '[ "$1" = -u ] && echo "$FAKE_UID"',
  // $FAKE_SUDO=ok: password-less sudo; otherwise sudo -n fails as it does when a password is needed.
  sudo: 'echo "sudo $*" >> "$FAKE_LOG"\n[ "$FAKE_SUDO" = ok ] || { echo "sudo: a password is required" >&2; exit 1; }\nshift\n[ "$1" = true ] && exit 0\nexec "$@"',
};

describe('scripts/setup.sh', () => {
  let root: string;
  let bin: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-setup-'));
    bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    for (const [name, body] of Object.entries(FAKES)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Runs the script; returns its exit status, stderr and the commands the fakes recorded. */
  function setup(opts: { uid: number; sudo: boolean; installed: readonly string[] }) {
    const log = path.join(root, `log-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(log, '');
    const r = spawnSync('bash', [SCRIPT], {
      cwd: root,
      encoding: 'utf8',
      env: {
        PATH: [bin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
        FAKE_LOG: log,
        FAKE_UID: String(opts.uid),
        FAKE_SUDO: opts.sudo ? 'ok' : 'no',
        FAKE_INSTALLED: opts.installed.join(' '),
      },
    });
    const ran = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('dpkg '));
    return { code: r.status, stderr: r.stderr, ran };
  }
  const ALL = Object.keys(PACKAGES);
  /** Everything but `missing`, installed. */
  const allBut = (...missing: string[]) => ALL.filter((p) => !missing.includes(p));

  test('as a user without password-less sudo, with packages missing, prints the one apt-get line, exits non-zero and runs nothing', () => {
    const r = setup({ uid: 1000, sudo: false, installed: allBut('age', 'samtools') });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /missing system packages: age samtools/);
    const lines = r.stderr.split('\n').filter((l) => l.includes('apt-get install'));
    assert.deepEqual(lines, ['  sudo apt-get update && sudo apt-get install -y --no-install-recommends age samtools']);
    assert.deepEqual(r.ran, ['sudo -n true'], 'only the non-interactive sudo check ran: no apt-get, no npm');
  });

  test('as root, installs exactly the missing packages without sudo, then runs npm ci', () => {
    const r = setup({ uid: 0, sudo: false, installed: allBut('bowtie2-examples', 'samtools') });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.ran, ['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends bowtie2-examples samtools', 'npm ci --no-audit --no-fund']);
  });

  test('as a user with password-less sudo, installs the missing packages through sudo -n', () => {
    const r = setup({ uid: 1000, sudo: true, installed: ALL.filter((p) => p !== 'time') });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.ran, [
      'sudo -n true',
      'sudo -n apt-get update -qq',
      'apt-get update -qq',
      'sudo -n apt-get install -y -qq --no-install-recommends time',
      'apt-get install -y -qq --no-install-recommends time',
      'npm ci --no-audit --no-fund',
    ]);
  });

  test('when every package is installed, skips apt and sudo and only runs npm ci, as any user', () => {
    for (const uid of [0, 1000]) {
      const r = setup({ uid, sudo: false, installed: ALL });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.ran, ['npm ci --no-audit --no-fund']);
    }
  });

  test('installs every package the tests can ask for, and .ci/run uses it under SEALFLOW_REQUIRE_ALL=1', () => {
    const text = fs.readFileSync(SCRIPT, 'utf8');
    const list = /^PACKAGES=\(([^)]*)\)$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
    assert.deepEqual([...list].sort(), Object.keys(PACKAGES).sort());
    const ci = fs.readFileSync(path.join(REPO, '.ci', 'run'), 'utf8');
    assert.match(ci, /^export SEALFLOW_REQUIRE_ALL=1$/m);
    assert.match(ci, /^\.\/scripts\/setup\.sh$/m);
    assert.ok(!/apt-get/.test(ci.replace(/^#.*$/gm, '')), '.ci/run installs nothing itself: the list lives in scripts/setup.sh');
  });
});
