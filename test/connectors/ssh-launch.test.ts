/**
 * The `ssh` connector wired in: attested `sim` workers started by the worker
 * pool on two namespace hosts (own sshd, PID and mount namespaces in which
 * the master's state and SEALFLOW_HOME are hidden), reaching the master's
 * broker and executor ports through reverse forwards and the sim evidence
 * (which stays on the master) through a forwarded socket. The broker accepts
 * that only where the deployment's policy says allowRemoteSimulation: true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MasterSession } from '../../src/master/master-session.js';
import { newRunId } from '../../src/engine/run-dir.js';
import { WorkerPool, type EngineDeployment } from '../../src/engine/workers.js';
import type { BrokerDecision } from '../../src/master/broker/types.js';
import { hostsMissing, startHosts, type Host, type Hosts } from '../helpers/hosts.js';
import { simPolicies } from '../helpers/sim-master.js';
import { PATIENCE_MS, sleep } from '../helpers/wait.js';

const skip = hostsMissing();

async function eventually(what: string, pred: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + PATIENCE_MS;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`still not true after ${PATIENCE_MS} ms: ${what}`);
    await sleep(25);
  }
}

describe('ssh connector: attested sim workers on two namespace hosts', { skip }, () => {
  let hosts: Hosts;
  let state: string;
  let home: string;
  const saved = { home: process.env['SEALFLOW_HOME'], tmp: process.env['TMPDIR'] };
  let allowing: string;
  let refusing: string;

  const deployment = (h: Host, policy: string): EngineDeployment => ({
    id: h.name,
    connector: 'ssh',
    platform: 'sim',
    workers: 2,
    options: { host: h.address, user: 'root', identityFile: h.identityFile, knownHosts: h.knownHostsFile, policy },
  });

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-launch-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-launch-home-'));
    hosts = await startHosts(2, { hide: [state, home] });
    // After the hosts started (their temp dir must stay visible to sshd): the master's state, keys and run files live under `state`, hidden on the hosts.
    process.env['SEALFLOW_HOME'] = home;
    process.env['TMPDIR'] = path.join(state, 'tmp');
    fs.mkdirSync(process.env['TMPDIR']);
    ({ remoteSim: allowing, localSim: refusing } = await simPolicies(home, state));
  });
  after(async () => {
    for (const [k, v] of [['SEALFLOW_HOME', saved.home], ['TMPDIR', saved.tmp]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await hosts?.stopAll();
    fs.rmSync(state, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('workers of one ssh deployment per host are attested and ready, run on those hosts, and leave no run directory behind', async () => {
    const [ha, hb] = hosts.hosts as [Host, Host];
    const warnings: string[] = [];
    const decisions: BrokerDecision[] = [];
    const master = new MasterSession({ runId: newRunId(), warn: (m) => void warnings.push(m) });
    master.attachJournal((d) => void decisions.push(d));
    const t0 = Date.now();
    const pool = await WorkerPool.start(master, state, [deployment(ha, allowing), deployment(hb, allowing)]);
    const readyMs = Date.now() - t0;
    try {
      const live = pool.liveWorkers();
      assert.deepEqual(live.map((w) => `${w.id}@${w.host}`).sort(), [`${ha.name}-1@${ha.name}`, `${ha.name}-2@${ha.name}`, `${hb.name}-1@${hb.name}`, `${hb.name}-2@${hb.name}`].sort());
      const accepted = decisions.filter((d) => d.type === 'attestation' && d.decision === 'accepted');
      assert.equal(accepted.length, 4);
      assert.ok(warnings.some((w) => /platform sim is NOT a TEE/.test(w)), warnings.join(''));
      // The provisioner runs on the host, from its own run directory (opaque name), not from the master's disk.
      for (const h of [ha, hb]) {
        const ps = await h.exec(`ps -eo args= | grep provisioner.mjs | grep -v grep || true`);
        assert.match(ps, new RegExp(`${h.home}/\\.sealflow-worker/[0-9a-f]{24}/provisioner\\.mjs`));
      }
      process.stderr.write(`# 4 attested sim workers on 2 ssh hosts ready in ${readyMs} ms\n`);
    } finally {
      await pool.shutdown();
    }
    for (const h of [ha, hb]) {
      await eventually(`the run directory on ${h.name} is removed`, async () => (await h.exec(`ls -A ~/.sealflow-worker 2>/dev/null || true`)).trim() === '');
    }
  });

  test('without allowRemoteSimulation in the policy the broker refuses the remote sim workers (simulated-not-local) and the start fails naming the deployment', async () => {
    const [ha] = hosts.hosts as [Host];
    const decisions: BrokerDecision[] = [];
    const master = new MasterSession({ runId: newRunId(), warn: () => undefined });
    master.attachJournal((d) => void decisions.push(d));
    await assert.rejects(WorkerPool.start(master, state, [{ ...deployment(ha, refusing), workers: 1 }]), (e: Error) => {
      assert.match(e.message, new RegExp(`deployment ${ha.name} uses connector ssh; sim evidence is accepted only from local deployments, or under a policy with allowRemoteSimulation: true \\(sim is NOT a TEE\\)`));
      return true;
    });
    assert.deepEqual(decisions.filter((d) => d.type === 'attestation').map((d) => (d.type === 'attestation' ? `${d.decision} ${d.reason}` : '')), ['refused simulated-not-local']);
    await eventually('the refused run directory is removed', async () => (await ha.exec(`ls -A ~/.sealflow-worker 2>/dev/null || true`)).trim() === '');
  });

  test('an unknown host key is a one-line error naming the deployment and the host, and nothing is started there', async () => {
    const [ha] = hosts.hosts as [Host];
    const empty = path.join(state, 'known_hosts_empty');
    fs.writeFileSync(empty, '');
    const master = new MasterSession({ runId: newRunId(), warn: () => undefined });
    const d = deployment(ha, allowing);
    await assert.rejects(WorkerPool.start(master, state, [{ ...d, workers: 1, options: { ...d.options, knownHosts: empty } }]), (e: Error) => {
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, new RegExp(`deployment "${ha.name}".*${ha.address.replace(/\./g, '\\.')}`));
      assert.match(e.message, /host key/i);
      return true;
    });
    assert.equal((await ha.exec(`ls -A ~/.sealflow-worker 2>/dev/null || true`)).trim(), '');
    await master.close();
  });
});
