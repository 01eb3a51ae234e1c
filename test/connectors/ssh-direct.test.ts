/**
 * docs/protocol.md §15.8 through the CLI: word count on two namespace hosts,
 * one `ssh` deployment each with `transfers: direct`. Intermediates cross
 * from one host to the other worker to worker (the journal's
 * `data-transfer` decisions say so) and the result is byte-identical to the
 * plain local run; with the route between the two hosts cut in the root
 * namespace (both still reach the master) every such pull falls back to the
 * master's copy, and the result is the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { hostsMissing, startHosts, type Hosts } from '../helpers/hosts.js';
import { simPolicies, wordCountCopy } from '../helpers/sim-master.js';
import { onExit } from '../helpers/netns.js';

const skip = hostsMissing();

interface Transfer {
  readonly worker: string;
  readonly from: string;
  readonly outcome: 'pulled' | 'fallback';
  readonly bytes: number;
  readonly file: string;
  readonly reason?: string;
}

describe('ssh connector: transfers: direct between two namespace hosts', { skip }, () => {
  let hosts: Hosts;
  let state: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let flow: string;
  let plainCounts: Buffer;
  let policy: string;

  const config = () =>
    [
      'deployments:',
      ...hosts.hosts.map((h, i) => `  host${i}: { connector: ssh, platform: sim, workers: 2, transfers: direct, host: ${h.address}, user: root, identityFile: ${h.identityFile}, knownHosts: ${h.knownHostsFile}, policy: ${policy} }`),
      'default: host0',
      'bindings:',
      // split on the first host; map, shuffle and reduce on the second: their inputs cross between the hosts.
      ...['map', 'shuffle', 'reduce'].map((s) => `  - { step: ${s}, deployment: host1 }`),
      '',
    ].join('\n');

  /** Runs word count on the two hosts; the decrypted counts, the run's transfers and which host each worker was on. */
  const runSsh = async (name: string) => {
    const cfg = path.join(state, `${name}.yaml`);
    fs.writeFileSync(cfg, config());
    const st = path.join(state, `state-${name}`);
    const out = path.join(state, `out-${name}`);
    const r = await runCli(['run', flow, '--state-dir', st, '--out', out, '--config', cfg, '--quiet'], { env, cwd: state });
    assert.equal(r.code, 0, r.stderr);
    const dec = await runCli(['decrypt', '-i', path.join(home, 'owner-identity.txt'), '-o', path.join(state, `${name}.tsv`), path.join(out, 'counts.tsv.age')], { env, cwd: state });
    assert.equal(dec.code, 0, dec.stderr);
    const runId = fs.readdirSync(path.join(st, 'runs'))[0] ?? '';
    const events = fs.readFileSync(path.join(st, 'runs', runId, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; decision?: { type: string } });
    const transfers = events.flatMap((e) => (e.type === 'wcpac' && e.decision?.type === 'data-transfer' ? [e.decision as unknown as Transfer] : []));
    const { receipt } = JSON.parse(fs.readFileSync(path.join(out, 'receipt.json'), 'utf8')) as { receipt: { workers: { id: string; host: string }[] } };
    const hostOf = new Map(receipt.workers.map((w) => [w.id, w.host]));
    return { counts: fs.readFileSync(path.join(state, `${name}.tsv`)), transfers, hostOf, stderr: r.stderr };
  };

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-direct-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-direct-home-'));
    hosts = await startHosts(2, { hide: [state, home] });
    const tmp = path.join(state, 'tmp');
    fs.mkdirSync(tmp);
    env = { SEALFLOW_HOME: home, TMPDIR: tmp, SEALFLOW_MASTER_PASSPHRASE: '' };
    flow = wordCountCopy(state);
    policy = (await simPolicies(home, state)).remoteSim;
    // The reference: the plain run on the master's own machine.
    const r = await runCli(['run', flow, '--platform', 'none', '--no-encrypt', '--state-dir', path.join(state, 'state-plain'), '--out', path.join(state, 'out-plain'), '--quiet'], { env, cwd: state });
    assert.equal(r.code, 0, r.stderr);
    plainCounts = fs.readFileSync(path.join(state, 'out-plain', 'counts.tsv'));
  });
  after(async () => {
    await hosts?.stopAll();
    fs.rmSync(state, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('intermediates cross from one ssh host to the other worker to worker, and the counts equal the plain local run byte for byte', async () => {
    const { counts, transfers, hostOf } = await runSsh('direct');
    assert.ok(counts.equals(plainCounts), 'the decrypted counts equal the plain local run');
    const across = transfers.filter((t) => hostOf.get(t.worker) !== hostOf.get(t.from));
    for (const t of transfers) assert.ok(hostOf.has(t.worker) && hostOf.has(t.from), `the receipt names both workers of ${JSON.stringify(t)}`);
    assert.ok(across.length >= 1, `at least one input crossed between the hosts: ${JSON.stringify(transfers)}`);
    for (const t of across) {
      assert.equal(t.outcome, 'pulled', `pulled from the producer's host, not the master's copy: ${JSON.stringify(t)}`);
      assert.ok(t.bytes > 0);
      assert.equal(t.bytes, fs.statSync(t.file).size, 'the whole ciphertext arrived (the master\'s copy has the same size)');
    }
    assert.deepEqual(transfers.filter((t) => t.outcome !== 'pulled'), [], 'no pull fell back to the master');
  });

  test('with the route between the two hosts cut (both still reach the master), each consumer falls back to the master\'s copy and the counts are the same', async () => {
    const [a, b] = hosts.hosts.map((h) => h.address) as [string, string];
    // Policy rules in the root namespace, where the hosts' traffic to each other is forwarded: `prohibit`
    // answers at once (ICMP), as a firewall rejecting the flow would. The master (the gateway) is not affected.
    const rules = [['from', a, 'to', b], ['from', b, 'to', a]];
    const del = () => {
      for (const r of rules) {
        try {
          execFileSync('ip', ['rule', 'del', ...r, 'prohibit'], { stdio: 'ignore' });
        } catch {
          /* already gone */
        }
      }
    };
    const unhook = onExit(del);
    try {
      for (const r of rules) execFileSync('ip', ['rule', 'add', ...r, 'prohibit']);
      const { counts, transfers, hostOf } = await runSsh('cut');
      assert.ok(counts.equals(plainCounts), 'the decrypted counts equal the plain local run');
      const across = transfers.filter((t) => hostOf.get(t.worker) !== hostOf.get(t.from));
      assert.ok(across.length >= 1, `at least one input was to cross between the hosts: ${JSON.stringify(transfers)}`);
      for (const t of across) assert.deepEqual([t.outcome, t.reason], ['fallback', 'connect'], JSON.stringify(t));
    } finally {
      del();
      unhook();
    }
  });
});
