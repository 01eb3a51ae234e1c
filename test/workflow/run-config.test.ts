import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadWorkflow } from '../../src/workflow/index.js';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { deploymentFor } from '../../src/engine/placement.js';
import { reprovisionCap } from '../../src/engine/workers.js';
import { REPO } from '../helpers/cli.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

const FLOW = [
  'steps:',
  '  a:',
  '    command: [true]',
  '  b:',
  '    command: [true]',
  '  c:',
  '    command: [true]',
  '    requirements: { tee: none }',
  '',
].join('\n');

async function setup(config?: string, flow = FLOW) {
  const dir = await tempDir(config === undefined ? { 'flow.yaml': flow } : { 'flow.yaml': flow, 'sealflow.yaml': config });
  return { dir, wf: await loadWorkflow(dir) };
}

describe('run configuration', () => {
  test('defaults to one local deployment without a TEE and a worker per core', async () => {
    const { wf } = await setup();
    const cfg = await loadRunConfig(wf);
    assert.equal(cfg.file, undefined);
    assert.equal(cfg.defaultDeployment, 'local');
    assert.equal(cfg.concurrency, os.availableParallelism());
    assert.deepEqual(cfg.deployments.map((d) => [d.id, d.connector, d.platform, d.workers]), [['local', 'local', 'none', os.availableParallelism()]]);
  });

  test('reads sealflow.yaml beside the workflow and places steps by binding, first match wins', async () => {
    const { dir, wf } = await setup(
      'deployments:\n  small: { connector: local, platform: none, workers: 1 }\n  big:\n    workers: 4\ndefault: small\nbindings:\n  - step: b\n    deployment: big\n  - tee: none\n    deployment: small\n  - step: c\n    deployment: big\nconcurrency: 3\n',
    );
    const cfg = await loadRunConfig(wf);
    assert.equal(cfg.file, path.join(dir, 'sealflow.yaml'));
    assert.equal(cfg.concurrency, 3);
    assert.deepEqual(wf.steps.map((s) => deploymentFor(cfg, s).id), ['small', 'big', 'small']);
    assert.equal(cfg.deployments[1]?.platform, 'none');
    assert.equal(cfg.bindings[0]?.loc.line, 7);
  });

  test('accepts the sealflow.yaml example of docs/workflow-format.md', async () => {
    const doc = await readFile(path.join(REPO, 'docs', 'workflow-format.md'), 'utf8');
    const example = /## sealflow\.yaml[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const { wf } = await setup(example, 'steps:\n  align:\n    command: [true]\n  other:\n    command: [true]\n');
    const cfg = await loadRunConfig(wf);
    assert.deepEqual(cfg.deployments.map((d) => [d.id, d.workers]), [['local', 2]]);
    assert.equal(cfg.bindings.length, 2);
    assert.equal(cfg.concurrency, 2);
  });

  test('reads a configuration given explicitly', async () => {
    const { wf } = await setup();
    const other = await tempDir({ 'run.yaml': 'deployments:\n  only: { workers: 2 }\n' });
    const cfg = await loadRunConfig(wf, path.join(other, 'run.yaml'));
    assert.equal(cfg.defaultDeployment, 'only');
    assert.equal(cfg.deployments[0]?.workers, 2);
  });

  test('reports a missing explicit configuration file', async () => {
    const { wf } = await setup();
    await rejectsWith(loadRunConfig(wf, '/nonexistent/sealflow.yaml'), '/nonexistent/sealflow.yaml', 'no such file');
  });

  test('reports a binding to an undeclared deployment with a suggestion', async () => {
    const { wf } = await setup('deployments:\n  local: { workers: 1 }\nbindings:\n  - step: a\n    deployment: locl\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:5:17', "names deployment 'locl', which is not declared", "did you mean 'local'?");
  });

  test('reports a default that names an undeclared deployment', async () => {
    const { wf } = await setup('deployments:\n  local: { workers: 1 }\ndefault: remote\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:3:10', "default names deployment 'remote'");
  });

  test('requires a default when there are several deployments', async () => {
    const { wf } = await setup('deployments:\n  x: { workers: 1 }\n  y: { workers: 1 }\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:1:1', "add 'default: <deployment>'");
  });

  test('reports a binding to a step the workflow does not have', async () => {
    const { wf } = await setup('deployments:\n  local: { workers: 1 }\nbindings:\n  - { step: aa, deployment: local }\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:4:13', "names step 'aa'", "did you mean 'a'?");
  });

  test('reports a step whose tee requirement its deployment cannot satisfy', async () => {
    const flow = 'steps:\n  a:\n    command: [true]\n  enc:\n    command: [true]\n    requirements: { tee: sgx }\n';
    const { wf } = await setup('deployments:\n  local: { workers: 1 }\n', flow);
    await rejectsWith(loadRunConfig(wf), 'flow.yaml:6:19', 'step "enc"', "requires tee 'sgx'", 'deployment "local" (platform none', 'satisfies only tee none');
  });

  test('reports an unsatisfiable tee requirement under the built-in default too', async () => {
    const flow = 'steps:\n  enc:\n    command: [true]\n    requirements: { tee: any }\n';
    const { wf } = await setup(undefined, flow);
    await rejectsWith(loadRunConfig(wf), 'step "enc"', "requires tee 'any'", 'there is no sealflow.yaml');
  });

  test('rejects fewer than one worker', async () => {
    const { wf } = await setup('deployments:\n  local: { workers: 0 }\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:2:21', 'deployment "local"', 'workers must be a whole number of at least 1');
  });

  test('reads maxReprovisions of a deployment into its options, and the cap defaults to 3 per worker', async () => {
    const { wf } = await setup('deployments:\n  a: { workers: 2, maxReprovisions: 5 }\n  b: { workers: 2 }\ndefault: a\n');
    const cfg = await loadRunConfig(wf);
    assert.deepEqual(cfg.deployments.map((d) => [d.id, d.options['maxReprovisions'], reprovisionCap(d)]), [['a', 5, 5], ['b', undefined, 6]]);
  });

  test('rejects a negative maxReprovisions at its line, naming the deployment', async () => {
    const { wf } = await setup('deployments:\n  local: { workers: 1, maxReprovisions: -1 }\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:2:', 'deployment "local"', 'maxReprovisions must be a whole number of at least 0');
  });

  test('rejects a connector this version does not have', async () => {
    const { wf } = await setup('deployments:\n  hpc: { connector: pbs }\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:2:21', 'deployment "hpc"', "unknown connector 'pbs'", "supports 'local', 'ssh' and 'slurm'");
  });

  test('accepts a slurm deployment with its partition, account, time limit, shared workDir and the address the nodes dial', async () => {
    const { wf } = await setup('deployments:\n  hpc: { connector: slurm, platform: sim, workers: 2, partition: batch, account: lab, timeLimit: "1:00:00", workDir: /scratch/sf, masterAddress: 10.0.0.1 }\n', FLOW);
    const d = (await loadRunConfig(wf)).deployments[0]!;
    assert.deepEqual([d.id, d.connector, d.platform, d.workers], ['hpc', 'slurm', 'sim', 2]);
    assert.deepEqual(d.options, { partition: 'batch', account: 'lab', timeLimit: '1:00:00', workDir: '/scratch/sf', masterAddress: '10.0.0.1' });
  });

  test('rejects a slurm deployment without workDir, naming the deployment and saying what the directory is for', async () => {
    const { wf } = await setup('deployments:\n  hpc: { connector: slurm, platform: sim, masterAddress: 10.0.0.1 }\n', FLOW);
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:2:', 'deployment "hpc"', 'needs workDir', 'the cluster\'s nodes read and write');
  });

  test('rejects a bad slurm option at its own line: a time limit that is not one, a loopback masterAddress', async () => {
    const { wf } = await setup('deployments:\n  hpc:\n    connector: slurm\n    platform: sim\n    workDir: /scratch/sf\n    masterAddress: 10.0.0.1\n    timeLimit: "soon"\n', FLOW);
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:7:16', 'deployment "hpc"', 'timeLimit must be a Slurm time limit');
    const b = await setup('deployments:\n  hpc:\n    connector: slurm\n    platform: sim\n    workDir: /scratch/sf\n    masterAddress: 127.0.0.1\n', FLOW);
    await rejectsWith(loadRunConfig(b.wf), 'sealflow.yaml:6:20', 'deployment "hpc"', 'loopback address, which the nodes cannot dial');
  });

  test('rejects transfers: direct on a slurm deployment', async () => {
    const { wf } = await setup('deployments:\n  hpc: { connector: slurm, platform: sim, workDir: /scratch/sf, masterAddress: 10.0.0.1, transfers: direct }\n', FLOW);
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:2:', 'deployment "hpc"', 'transfers: master only');
  });

  test('accepts an ssh deployment and resolves its key files against the directory of sealflow.yaml', async () => {
    const { dir, wf } = await setup('deployments:\n  cloud: { connector: ssh, platform: sim, host: 10.0.0.5, user: alice, identityFile: id_test, knownHosts: kh, reach: ssh-tunnel, transfers: master }\n', FLOW);
    await writeFile(path.join(dir, 'id_test'), 'key');
    const cfg = await loadRunConfig(wf);
    const d = cfg.deployments[0]!;
    assert.deepEqual([d.id, d.connector, d.platform], ['cloud', 'ssh', 'sim']);
    assert.equal(d.options['identityFile'], path.join(dir, 'id_test'));
    assert.equal(d.options['knownHosts'], path.join(dir, 'kh'));
    assert.equal(d.options['host'], '10.0.0.5');
  });

  test('rejects an ssh deployment without a host, at the deployment, saying what host may be', async () => {
    const { wf } = await setup('deployments:\n  cloud: { connector: ssh, platform: sim }\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:2:', 'deployment "cloud"', 'ssh option "host" is required');
  });

  test('rejects a password, an unreadable identity file and a bad port of an ssh deployment at their lines', async () => {
    const { wf } = await setup('deployments:\n  cloud:\n    connector: ssh\n    host: h1\n    password: x\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:5:', "unknown key 'password'");
    const { wf: wf2 } = await setup('deployments:\n  cloud:\n    connector: ssh\n    host: h1\n    identityFile: missing_key\n');
    await rejectsWith(loadRunConfig(wf2), 'sealflow.yaml:5:19', 'deployment "cloud"', 'ssh option "identityFile" names', 'cannot be read');
    const { wf: wf3 } = await setup('deployments:\n  cloud:\n    connector: ssh\n    host: h1\n    port: 70000\n');
    await rejectsWith(loadRunConfig(wf3), 'sealflow.yaml:5:11', 'ssh option "port" must be an integer from 1 to 65535');
  });

  test('accepts transfers: direct on an ssh deployment, and rejects another transfers value and an unknown reach at their lines', async () => {
    const { wf: ok } = await setup('deployments:\n  cloud:\n    connector: ssh\n    host: h1\n    transfers: direct\n');
    assert.equal((await loadRunConfig(ok))?.deployments.find((d) => d.id === 'cloud')?.options['transfers'], 'direct');
    const { wf } = await setup('deployments:\n  cloud:\n    connector: ssh\n    host: h1\n    transfers: peer\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:5:16', 'transfers must be master', 'or direct', 'got "peer"');
    const { wf: wf2 } = await setup('deployments:\n  cloud:\n    connector: ssh\n    host: h1\n    reach: direct\n');
    await rejectsWith(loadRunConfig(wf2), 'sealflow.yaml:5:12', 'reach must be ssh-tunnel');
  });

  test('suggests the nearest key for an unknown deployment key', async () => {
    const { wf } = await setup('deployments:\n  local: { wokers: 2 }\n');
    await rejectsWith(loadRunConfig(wf), 'sealflow.yaml:2:12', "unknown key 'wokers'", "did you mean 'workers'?");
  });
});
