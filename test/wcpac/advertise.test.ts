/**
 * `advertise:` (docs/protocol.md §0.1): a run's master listens only on the
 * address it advertises — its provisioning and executor ports, nothing on
 * a wildcard or on another address — and gives workers that address;
 * several runs on one machine share a port range without colliding.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AttestedSession } from '../../src/master/session.js';
import type { Advertise } from '../../src/master/advertise.js';
import { REPO, runCli } from '../helpers/cli.js';
import { withMasterHome } from '../helpers/master-home.js';

/** This process's listening TCP sockets as `address:port` (from /proc/net/tcp{,6} and /proc/self/fd). */
function listening(): string[] {
  const mine = new Set(fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      return m ? [m[1] as string] : [];
    } catch {
      return [];
    }
  }));
  const out: string[] = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A' || !mine.has(f[9] ?? '')) continue; // 0A: LISTEN
      const [hex, port] = (f[1] ?? '').split(':') as [string, string];
      const bytes = Buffer.from(hex, 'hex');
      // The kernel prints each 32-bit word in host (little-endian) order.
      for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
      const addr = v6 ? (bytes.toString('hex').match(/.{4}/g) ?? []).join(':') : [...bytes].join('.');
      out.push(`${addr}:${Number.parseInt(port, 16)}`);
    }
  }
  return out.sort();
}

/** A range of `n` ports unlikely to be in use (the range lets a run skip any that are). */
const freeRange = (n: number): [number, number] => {
  const first = randomInt(20_000, 60_000);
  return [first, first + n - 1];
};

const open = (advertise: Advertise) => AttestedSession.open({ runId: `run-${randomBytes(4).toString('hex')}`, warn: () => undefined, record: () => undefined, advertise });

describe('§0.1 advertise: where the master listens', () => {
  test('the master listens only on the advertised address, in its range, and gives workers that address', () =>
    withMasterHome(async () => {
      const before = listening();
      const [first, last] = freeRange(10);
      const s = await open({ host: '127.0.0.2', port: [first, last] });
      try {
        const added = listening().filter((l) => !before.includes(l));
        assert.equal(added.length, 2, `the provisioning and executor ports: ${added.join(', ')}`);
        for (const l of added) {
          const [addr, port] = [l.slice(0, l.lastIndexOf(':')), Number(l.slice(l.lastIndexOf(':') + 1))];
          assert.equal(addr, '127.0.0.2', `${l} is on the advertised address only (not 0.0.0.0, not 127.0.0.1)`);
          assert.ok(port >= first && port <= last, `${l} is in ${first}-${last}`);
        }
        const spec = s.launchSpec({ id: 'enclaves', connector: 'local', platform: 'sim' }, 'enclaves-1', 'A'.repeat(43));
        assert.equal(spec.program.args('/w')[1], `127.0.0.2:${s.broker.address.port}`);
        assert.deepEqual(spec.program.dials?.map((d) => `${d.host}:${d.port}`), [`127.0.0.2:${s.broker.address.port}`, `127.0.0.2:${s.exec.address.port}`]);
        assert.deepEqual(spec.env, { SEALFLOW_TICKET: 'A'.repeat(43) });
      } finally {
        await s.close();
      }
      assert.deepEqual(listening(), before, 'closed: nothing left listening');
    }));

  test('two runs share a range of four ports; a third finds it full and says to widen advertise', () =>
    withMasterHome(async () => {
      const range = freeRange(4);
      const a = await open({ host: '127.0.0.1', port: range });
      const b = await open({ host: '127.0.0.1', port: range });
      try {
        const ports = [a.broker, a.exec, b.broker, b.exec].map((x) => x.address.port).sort();
        assert.equal(new Set(ports).size, 4);
        assert.ok(ports.every((p) => p >= range[0] && p <= range[1]));
        await assert.rejects(open({ host: '127.0.0.1', port: range, where: 'sealflow.yaml:7' }), new RegExp(`every port of 127\\.0\\.0\\.1:${range[0]}-${range[1]} is in use.*widen the range of \`advertise:\``));
      } finally {
        await a.close();
        await b.close();
      }
    }));

  test('an address this machine does not have is refused before any worker starts, naming the advertise line', () =>
    withMasterHome(async () => {
      await assert.rejects(open({ host: '192.0.2.1', port: 0, where: 'sealflow.yaml:7' }), /cannot listen on 192\.0\.2\.1 \(advertise, sealflow\.yaml:7\): no interface of this machine has that address/);
    }));

  test('two concurrent encrypted runs advertising one port range both complete, with the same result', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-advertise-runs-'));
    const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
    try {
      assert.equal((await runCli(['master', 'init', '--insecure-plaintext-keys'], { env })).code, 0);
      const [first, last] = freeRange(6);
      const config = path.join(root, 'sealflow.yaml');
      fs.writeFileSync(config, `deployments:\n  enclaves: { connector: local, platform: sim, workers: 2 }\nadvertise: 127.0.0.2:${first}-${last}\n`);
      const text = path.join(root, 'text.txt');
      fs.writeFileSync(text, 'one two\nthree\n');
      const flow = path.join(REPO, 'test', 'fixtures', 'wcpac', 'leak', 'flow.yaml');
      const run = (n: number) => runCli(['run', flow, '--config', config, '--input', `text=${text}`, '--state-dir', path.join(root, `state-${n}`), '--out', path.join(root, `out-${n}`), '--quiet'], { env });
      const [r1, r2] = await Promise.all([run(1), run(2)]);
      assert.equal(r1.code, 0, r1.stderr);
      assert.equal(r2.code, 0, r2.stderr);
      const id = path.join(root, 'home', 'owner-identity.txt');
      for (const n of [1, 2]) {
        const dec = await runCli(['decrypt', '-i', id, path.join(root, `out-${n}`, 'result.txt.age')], { env });
        assert.equal(dec.stdout, 'one two\nthree\n'.repeat(2));
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
