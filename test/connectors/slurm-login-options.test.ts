/**
 * The `login:` option of a `slurm` deployment (a login node reached over
 * ssh): validated at start with the ssh connector's own rules, each error
 * naming the deployment and what to do; with it `masterAddress` becomes the
 * login node's address for the nodes and may be left out.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSlurmDeployment, MAX_LOGIN_WORK_DIR } from '../../src/connectors/slurm/deployment.js';

const base = { partition: 'batch', workDir: '/scratch/sf' };

describe('slurm deployment through a login node: options', () => {
  test('login takes the ssh connector\'s options, puts run directories under workDir on the login node, and makes masterAddress optional', () => {
    const d = compileSlurmDeployment('hpc', { ...base, login: { host: 'login.example', user: 'me', port: 2222, connectTimeout: 5 } });
    assert.equal(d.login?.host, 'login.example');
    assert.equal(d.login?.user, 'me');
    assert.equal(d.login?.port, 2222);
    assert.equal(d.login?.baseDir, '/scratch/sf');
    assert.equal(d.login?.connectTimeout, 5);
    assert.equal(d.masterAddress, undefined);
    assert.equal(compileSlurmDeployment('hpc', { ...base, login: { host: 'l1' }, masterAddress: '10.1.2.3' }).masterAddress, '10.1.2.3');
  });

  test('without login, masterAddress is still required', () => {
    assert.throws(() => compileSlurmDeployment('hpc', base), { message: /^deployment "hpc" \(slurm\): needs masterAddress/ });
  });

  for (const [what, login, message] of [
    ['a login that is not a map', 'login.example', /^deployment "hpc" \(slurm\): login must be a map of the login node's ssh options .*e\.g\. login: \{ host: /],
    ['a login without host', { user: 'me' }, /^deployment "hpc" \(slurm\): login option "host" is required \(an address, a host name or an alias of your ~\/\.ssh\/config\)\.$/],
    ['a baseDir (workDir decides)', { host: 'l', baseDir: '/tmp' }, /^deployment "hpc" \(slurm\): login takes no baseDir: the run's files go to the deployment's workDir on the login node\.$/],
    ['a list of hosts', { hosts: ['a', 'b'] }, /^deployment "hpc" \(slurm\): login names one host \("host"\), not a list\.$/],
    ['a password', { host: 'l', password: 'x' }, /^deployment "hpc" \(slurm\): login takes no password: sealflow never uses passwords for SSH; use identityFile or a key in the SSH agent\.$/],
    ['an unknown key', { host: 'l', proxy: 'x' }, /^deployment "hpc" \(slurm\): login option "proxy" is unknown \(known: host, port, /],
    ['a host that looks like an ssh option', { host: '-oProxyCommand=x' }, /^deployment "hpc" \(slurm\): login option "host" must be a host name/],
    ['an unreadable identityFile', { host: 'l', identityFile: '/nonexistent/key' }, /^deployment "hpc" \(slurm\): login option "identityFile" names \/nonexistent\/key, which cannot be read/],
  ] as const) {
    test(`refuses ${what}, naming the deployment`, () => {
      assert.throws(() => compileSlurmDeployment('hpc', { ...base, login }), { message });
    });
  }

  test('a loopback masterAddress is refused through a login node too, and workDir must leave room for the forwarded evidence socket', () => {
    assert.throws(() => compileSlurmDeployment('hpc', { ...base, login: { host: 'l' }, masterAddress: '127.0.0.1' }), { message: /masterAddress 127\.0\.0\.1 is a loopback address, which the nodes cannot dial; give the login node's address/ });
    const long = `/${'d'.repeat(MAX_LOGIN_WORK_DIR)}`;
    assert.throws(() => compileSlurmDeployment('hpc', { ...base, workDir: long, login: { host: 'l' } }), { message: new RegExp(`workDir ${long} is ${long.length} characters; through a login node at most ${MAX_LOGIN_WORK_DIR} fit`) });
    assert.ok(compileSlurmDeployment('hpc', { ...base, workDir: long, masterAddress: '10.0.0.1' }));
  });
});
