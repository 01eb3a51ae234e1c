/**
 * docs/protocol.md §0.1 and §3a across a network boundary: a master that
 * advertises the address of its end of a link to another network namespace
 * (a worker host with its own network stack) provisions a worker there that
 * dials that address, and answers nothing to connections from that host
 * without a live ticket. Needs root and `ip netns` (skips loudly otherwise).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { claimSubnet, createLinkedNamespace, destroyNamespace, hostsSkip, newPrefix, onExit, releaseSubnet } from '../helpers/netns.js';
import { expectSlot, launchWorker, setup } from './harness.js';

const skip = hostsSkip(['ip'], 'iproute2');

describe('§0.1 a worker on another network host dials the advertised address', { skip }, () => {
  const prefix = newPrefix();
  const ns = `${prefix}-w`;
  let subnet = '';
  const cleanup = () => {
    destroyNamespace(ns);
    releaseSubnet(prefix);
  };
  const remove = onExit(cleanup);
  after(() => {
    cleanup();
    remove();
  });

  test('the provisioner in the namespace attests through the advertised address; the namespace\'s ticketless connection gets no byte', async () => {
    subnet = claimSubnet(prefix);
    createLinkedNamespace(ns, `${subnet}.10`, `${subnet}.1`);
    const h = await setup({ listenHost: `${subnet}.1` });
    try {
      assert.equal(h.broker.address.host, `${subnet}.1`);
      expectSlot(h, 'remote-1');
      // A stranger on the worker host: a TLS connection that sends no ticket. openssl s_client is not needed: node is.
      // Not spawnSync: the master runs in this process and must answer meanwhile.
      const probe = await new Promise<{ stdout: string; stderr: string }>((resolve) => execFile('ip', ['netns', 'exec', ns, process.execPath, '-e', `
        const tls = require('node:tls');
        const s = tls.connect({ host: '${subnet}.1', port: ${h.broker.address.port}, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
        let got = 0;
        s.on('data', (b) => (got += b.length));
        s.on('secureConnect', () => s.write('{"type":"attest","slot":"remote-1"}\\n'));
        s.on('error', () => {});
        s.on('close', () => process.stdout.write(String(got)));
      `], { encoding: 'utf8', timeout: 30_000 }, (_e, stdout, stderr) => resolve({ stdout, stderr })));
      assert.equal(probe.stdout, '0', `bytes the master sent the stranger (stderr: ${probe.stderr})`);
      assert.equal(h.broker.challengesIssued, 0);
      const run = await launchWorker(h, 'remote-1', { wrap: ['ip', 'netns', 'exec', ns] });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /BUNDLE-STARTED remote-1/);
      assert.equal(h.broker.challengesIssued, 1);
      assert.equal(h.broker.strangerRefusals.total, 1);
    } finally {
      await h.close();
    }
  });
});
