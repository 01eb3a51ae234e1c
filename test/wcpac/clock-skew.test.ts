/**
 * docs/protocol.md §2 and §4, clock skew: the run CA backdates every
 * certificate's notBefore by 5 minutes, so a worker whose clock is a few
 * minutes off still accepts the master and is accepted; a worker whose clock
 * is further off than §4's bound is told by how much, and what to do, from
 * the master's time in the hello — not by a bare "certificate not yet valid".
 * The worker's clock is faked (the provisioner's injectable `now`).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { RunCa } from '../../src/crypto/run-ca.js';
import { ephemeralMaster } from '../../src/crypto/master-key.js';
import { parseLaunchConfig } from '../../src/protocol/launch-config.js';
import { ProvisionError } from '../../src/protocol/wcpac-crypto.js';
import { clockSkewProblem, MAX_CLOCK_SKEW_MS } from '../../src/protocol/clock-skew.js';
import { provision } from '../../src/worker/provisioner/provisioner.js';
import { expectSlot, PROVISIONER_PATH, setup, type Harness } from './harness.js';

const MIN = 60_000;
const QUIET_BUNDLE = 'export async function start(ctx) { globalThis.sealflowStartedSlot = ctx.slot; }\n';

/** Provisions `slot` in this process with the worker's clock `offsetMs` from the master's. */
async function provisionWithClock(h: Harness, slot: string, offsetMs: number) {
  expectSlot(h, slot);
  const workDir = path.join(h.dir, 'workers', slot);
  await mkdir(workDir, { recursive: true });
  const { host, port } = h.broker.address;
  // The sim launcher serves the slot's evidence socket in its directory, as a connector's launch would.
  h.sim.launch({ program: PROVISIONER_PATH, args: [h.configPath, `${host}:${port}`, slot, h.bundlePath], env: {}, workDir });
  const config = parseLaunchConfig(await readFile(h.configPath, 'utf8'));
  return provision({ config, host, port, slot, bundlePath: h.bundlePath, ticket: h.tickets.get(slot) as string, cwd: workDir, now: () => Date.now() + offsetMs });
}

describe('§4 clock skew between the master and a worker', () => {
  test('a worker whose clock is 3 minutes behind or ahead of the master is provisioned (certificates are backdated 5 minutes)', async () => {
    const h = await setup({ bundleCode: QUIET_BUNDLE });
    try {
      for (const [slot, offset] of [['local-1', -3 * MIN], ['local-2', 3 * MIN]] as const) {
        const r = await provisionWithClock(h, slot, offset);
        assert.equal(r.ctx.slot, slot);
        assert.ok(h.broker.workers.has(slot));
      }
    } finally {
      await h.close();
    }
  });

  test('a worker whose clock is 10 minutes behind is refused by its own provisioner with the skew named and what to do, and the master\'s wait for it ends saying so', async () => {
    const h = await setup({ bundleCode: QUIET_BUNDLE });
    try {
      const waiting = assert.rejects(h.broker.waitAttested('local-1'), /worker local-1 \(deployment local\): the clock of worker local-1's host is 10\.0 min behind the master's/);
      await assert.rejects(provisionWithClock(h, 'local-1', -10 * MIN), (e: unknown) => {
        assert.ok(e instanceof ProvisionError);
        assert.equal(e.reason, 'clock-skew');
        assert.match(e.message, /this host's clock is 10\.0 min behind the master's \(at most 4 min is tolerated\).*Synchronise the worker host's clock with the master's/);
        return true;
      });
      await waiting;
      assert.equal(h.broker.workers.size, 0, 'it sent no evidence');
      const refused = h.decisions.filter((d) => d.type === 'attestation' && d.decision === 'refused');
      assert.equal(refused.length, 1);
      assert.ok(refused[0]?.type === 'attestation' && refused[0].reason === 'clock-skew' && /10\.0 min behind/.test(refused[0].message ?? ''));
    } finally {
      await h.close();
    }
  });

  test('a worker whose clock is 2 hours ahead is refused the same way, saying ahead', async () => {
    const h = await setup({ bundleCode: QUIET_BUNDLE });
    try {
      await assert.rejects(provisionWithClock(h, 'local-1', 120 * MIN), /clock is 120\.0 min ahead of the master's/);
    } finally {
      await h.close();
    }
  });

  test('an impostor master cannot pass for a skewed clock: with the worker 10 minutes off it is still master-not-pinned, and told nothing', async () => {
    const h = await setup({ bundleCode: QUIET_BUNDLE });
    const mitm = await setup({ bundleCode: QUIET_BUNDLE });
    try {
      expectSlot(mitm, 'local-1');
      const workDir = path.join(h.dir, 'workers', 'local-1');
      await mkdir(workDir, { recursive: true });
      const config = parseLaunchConfig(await readFile(h.configPath, 'utf8'));
      const { host, port } = mitm.broker.address;
      await assert.rejects(
        provision({ config, host, port, slot: 'local-1', bundlePath: h.bundlePath, ticket: mitm.tickets.get('local-1') as string, cwd: workDir, now: () => Date.now() - 10 * MIN }),
        (e: unknown) => e instanceof ProvisionError && e.reason === 'master-not-pinned',
      );
      assert.deepEqual(mitm.decisions, [], 'no clock-skew message, no evidence reached the impostor');
    } finally {
      await h.close();
      await mitm.close();
    }
  });

  test('the bound is 4 minutes either way, inside the 5 minutes the run CA backdates every certificate', async () => {
    assert.equal(MAX_CLOCK_SKEW_MS, 4 * MIN);
    assert.equal(clockSkewProblem(1_000_000_000_000, 1_000_000_000_000 + 4 * MIN), null);
    assert.equal(clockSkewProblem(1_000_000_000_000, 1_000_000_000_000 - 4 * MIN), null);
    assert.match(clockSkewProblem(1_000_000_000_000, 1_000_000_000_000 - 4 * MIN - 1) ?? '', /behind/);
    const now = new Date('2026-01-01T12:00:00Z');
    const master = ephemeralMaster();
    const ca = await RunCa.create(master, 'run-skew', 3_600_000, now);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const client = await ca.issueClientCert(publicKey.export({ type: 'spki', format: 'der' }), 'local-1', now);
    const server = (await ca.serverCredentials(now)).certChainPem;
    for (const der of [ca.certDer, client, new X509Certificate(server).raw]) {
      assert.equal(now.getTime() - new Date(new X509Certificate(Buffer.from(der)).validFrom).getTime(), 5 * MIN);
    }
  });
});
