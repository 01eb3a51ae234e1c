/**
 * docs/protocol.md §3–§7: the provisioning handshake between a real
 * provisioner process under the sim platform and the key broker, and its
 * refusals. Each refusal checks that no key reached the worker or attacker:
 * in the journal (no acceptance) and on the wire (no provisioned message).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { definePolicy } from '../../src/attestation/policy.js';
import { SimRoot } from '../../src/tee/sim/index.js';
import { launchConfigText, SIM_EVIDENCE } from '../../src/tee/sim/measure.js';
import { connectRaw, expectSlot, forgeAttest, launchWorker, PROVISIONER_PATH, setup, type Harness } from './harness.js';

function accepted(h: Harness) {
  return h.decisions.filter((d) => d.type === 'attestation' && d.decision === 'accepted');
}

function refusedWith(h: Harness, reason: string): void {
  const refusals = h.decisions.filter((d) => d.type === 'attestation' && d.decision === 'refused');
  assert.deepEqual(refusals.map((d) => (d.type === 'attestation' ? d.reason : '')), [reason]);
  assert.equal(accepted(h).length, 0, 'nothing was accepted');
  assert.equal(h.broker.workers.size, 0, 'no worker is attested');
}

/** The wire carried a hello and a refusal, and no certificate, wrapped key or signature. */
function noKeyOnWire(wire: { messages: { type: string }[]; raw: string }, reason: string): void {
  assert.deepEqual(wire.messages.map((m) => m.type), ['hello', 'refused']);
  assert.equal((wire.messages[1] as { reason?: string }).reason, reason);
  for (const field of ['"wrappedKey"', '"clientCert"', '"signature"', '"provisioned"']) assert.ok(!wire.raw.includes(field), `no ${field} on the wire`);
}

describe('§3 the measured provisioner', () => {
  test('§3 the provisioner is one file that imports only Node built-ins', async () => {
    const code = await readFile(PROVISIONER_PATH, 'utf8');
    const specifiers = [...code.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]);
    assert.ok(specifiers.length > 0);
    assert.deepEqual(specifiers.filter((s) => !s?.startsWith('node:')), []);
    // The WCPAC client, the launch ticket and clock check, and the four guest evidence providers (sim, Gramine/Occlum devfs, configfs-tsm).
    assert.ok(code.split('\n').length < 500, `small enough to review: ${code.split('\n').length} lines`);
  });
});

describe('§4–§6 provisioning handshake', () => {
  test('§6 an attested sim worker gets its certificate and bundle key and starts the decrypted bundle', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const run = await launchWorker(h, 'local-1');
      const worker = await h.broker.waitAttested('local-1');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^BUNDLE-STARTED local-1 cert=\d+$/m);
      assert.equal(worker.claims?.platform, 'sim');
      assert.equal(worker.claims?.measurement, h.measurement);
      const [d] = accepted(h);
      assert.ok(d && d.type === 'attestation');
      assert.equal(d.claims?.simulated, true);
      assert.match(d.warning ?? '', /NOT a TEE/);
      assert.equal(d.keys?.x25519.length, 64, 'key fingerprints, not keys, are journalled');
    } finally {
      await h.close();
    }
  });

  test('§4 a provisioner pinned to another master refuses it and sends nothing', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      const { keyPin } = await import('../../src/crypto/master-key.js');
      const cfg = path.join(h.dir, 'other-pin.json');
      await writeFile(cfg, launchConfigText(keyPin(other), SIM_EVIDENCE));
      const run = await launchWorker(h, 'local-1', { config: cfg });
      assert.equal(run.code, 3);
      assert.match(run.stderr, /master-not-pinned/);
      assert.doesNotMatch(run.stdout, /BUNDLE-STARTED/);
      assert.equal(h.decisions.length, 0, 'the master received no attest message');
    } finally {
      await h.close();
    }
  });

  test('§4 a man in the middle that terminates TLS with its own certificate is refused by the provisioner', async () => {
    const h = await setup();
    const mitm = await setup(); // its own master key and run CA: all it can present
    try {
      expectSlot(h, 'local-1');
      expectSlot(mitm, 'local-1');
      // The ticket is no secret from the host (§3a): a man in the middle on the host holds one the impostor accepts.
      const run = await launchWorker(h, 'local-1', { port: mitm.broker.address.port, ticket: mitm.tickets.get('local-1') as string });
      assert.equal(run.code, 3);
      assert.match(run.stderr, /master-not-pinned/);
      assert.equal(mitm.decisions.length, 0, 'the impostor got no evidence and no public keys');
      assert.equal(h.decisions.length, 0);
    } finally {
      await h.close();
      await mitm.close();
    }
  });

  test('§4 a relay that forwards the bytes lets the worker provision but learns no key', async () => {
    const h = await setup();
    const captured: Buffer[] = [];
    const relay = net.createServer((client) => {
      const upstream = net.connect(h.broker.address.port, h.broker.address.host);
      client.on('data', (b: Buffer) => (captured.push(b), upstream.write(b)));
      upstream.on('data', (b: Buffer) => (captured.push(b), client.write(b)));
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    try {
      expectSlot(h, 'local-1');
      const run = await launchWorker(h, 'local-1', { port: (relay.address() as net.AddressInfo).port });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /BUNDLE-STARTED/);
      const wire = Buffer.concat(captured);
      assert.ok(wire.length > 0);
      for (const form of [h.bundleKey, Buffer.from(h.bundleKey.toString('hex')), Buffer.from(h.bundleKey.toString('base64'))]) assert.ok(!wire.includes(form), 'the bundle key is not on the wire');
      for (const text of ['"wrappedKey"', '"challenge"', 'BUNDLE-STARTED']) assert.ok(!wire.includes(Buffer.from(text)), `${text} is not readable on the wire`);
    } finally {
      relay.close();
      await h.close();
    }
  });

  test('§3 a provisioner changed by one byte gets a measurement the policy refuses, and no key', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const changed = path.join(h.dir, 'provisioner.js');
      await copyFile(PROVISIONER_PATH, changed);
      await writeFile(changed, Buffer.concat([await readFile(changed), Buffer.from(' ')]));
      const run = await launchWorker(h, 'local-1', { program: changed });
      assert.equal(run.code, 3);
      assert.match(run.stderr, /refused: .*measurement-not-allowed/);
      assert.doesNotMatch(run.stdout, /BUNDLE-STARTED/);
      refusedWith(h, 'measurement-not-allowed');
    } finally {
      await h.close();
    }
  });

  test('§6 sim evidence under a policy that forbids simulation is refused', async () => {
    const h = await setup({ policy: (m) => definePolicy({ allowSimulated: false, sim: { measurements: [m] } }) });
    try {
      expectSlot(h, 'local-1');
      const run = await launchWorker(h, 'local-1');
      assert.equal(run.code, 3);
      assert.match(run.stderr, /simulated-not-allowed/);
      refusedWith(h, 'simulated-not-allowed');
    } finally {
      await h.close();
    }
  });

  test('§6 sim evidence from a deployment configured for a real platform is refused', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'sgx-1', 'gramine');
      const run = await launchWorker(h, 'sgx-1');
      assert.equal(run.code, 3);
      refusedWith(h, 'simulated-on-real-platform');
    } finally {
      await h.close();
    }
  });

  test('§6 sim evidence from a non-local deployment is refused', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'remote-1', 'sim', 'ssh');
      const run = await launchWorker(h, 'remote-1');
      assert.equal(run.code, 3);
      refusedWith(h, 'simulated-not-local');
    } finally {
      await h.close();
    }
  });

  test('§6 sim evidence from a non-local deployment is accepted only where its policy says allowRemoteSimulation: true', async () => {
    const h = await setup();
    try {
      const base = definePolicy({ allowSimulated: true, sim: { measurements: [h.measurement] } });
      h.tickets.set('remote-1', h.broker.expect({ slot: 'remote-1', deployment: 'remote', connector: 'ssh', platform: 'sim', policy: definePolicy({ ...base, allowRemoteSimulation: true }) }));
      h.tickets.set('other-1', h.broker.expect({ slot: 'other-1', deployment: 'other', connector: 'ssh', platform: 'sim', policy: base }));
      const allowed = await launchWorker(h, 'remote-1');
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(accepted(h).length, 1);
      const refused = await launchWorker(h, 'other-1');
      assert.equal(refused.code, 3);
      assert.match(refused.stderr, /simulated-not-local/);
    } finally {
      await h.close();
    }
  });

  test('§6 a bundle-key message not signed by the master key: the provisioner runs nothing', async () => {
    const h = await setup({ signingKeyOverride: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
    try {
      expectSlot(h, 'local-1');
      const run = await launchWorker(h, 'local-1');
      assert.equal(run.code, 3);
      assert.match(run.stderr, /bad-master-signature/);
      assert.doesNotMatch(run.stdout, /BUNDLE-STARTED/);
    } finally {
      await h.close();
    }
  });

  test('§6 a bundle whose hash differs from the signed one: the provisioner runs nothing', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const substituted = path.join(h.dir, 'substituted.bundle');
      const b = await readFile(h.bundlePath);
      b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1;
      await writeFile(substituted, b);
      const run = await launchWorker(h, 'local-1', { bundle: substituted });
      assert.equal(run.code, 3);
      assert.match(run.stderr, /bundle-hash-mismatch/);
      assert.doesNotMatch(run.stdout, /BUNDLE-STARTED/);
    } finally {
      await h.close();
    }
  });
});

describe('§5–§6 refusals seen from an attacker on the wire', () => {
  async function attempt(o: Parameters<typeof forgeAttest>[3], reason: string, slot = 'local-1', evidenceSlot?: string) {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      const c = await connectRaw(h);
      c.send(forgeAttest(h, c, slot, { ...o, ...(evidenceSlot !== undefined ? { slotInEvidence: evidenceSlot } : {}) }).msg);
      noKeyOnWire(await c.closed(), reason);
      refusedWith(h, reason);
    } finally {
      await h.close();
    }
  }

  test('§6 evidence with a bad signature (another sim root key) is refused', () => attempt({ root: new SimRoot() }, 'bad-signature'));
  test('§5 report data binding different keys (key substitution) is refused', () => attempt({ substituteX25519: true }, 'report-data-mismatch'));
  test('§5 evidence for another run id is refused', () => attempt({ runId: 'run-other' }, 'report-data-mismatch'));
  test('§5 evidence for another worker slot is refused', () => attempt({}, 'report-data-mismatch', 'local-1', 'local-2'));
  test('§3a an attest message naming a slot other than its ticket\'s (one never launched) is refused', () => attempt({}, 'ticket-slot', 'ghost-1'));

  test('§6 replayed evidence (a used challenge, dropped when used) is refused on a new connection', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      expectSlot(h, 'local-2');
      const first = await connectRaw(h, 'local-1');
      const { msg } = forgeAttest(h, first, 'local-1');
      first.send(msg);
      assert.deepEqual((await first.closed()).messages.map((m) => m.type), ['hello', 'provisioned']);
      const replay = await connectRaw(h, 'local-2');
      replay.send({ ...msg, slot: 'local-2' });
      noKeyOnWire(await replay.closed(), 'challenge-unknown');
      assert.equal(h.broker.workers.size, 1);
      assert.ok(!h.broker.workers.has('local-2'));
    } finally {
      await h.close();
    }
  });

  test('§6 real SEV-SNP evidence for a deployment configured for gramine is refused (platform-mismatch), and for cvm it must still verify', async () => {
    const { milanVcek } = await import('../attestation/snp-samples.js');
    const h = await setup();
    try {
      expectSlot(h, 'sgx-1', 'gramine');
      expectSlot(h, 'cvm-1', 'cvm');
      for (const [slot, reason] of [['sgx-1', 'platform-mismatch'], ['cvm-1', 'collateral-missing']] as const) {
        const c = await connectRaw(h, slot);
        const { msg } = forgeAttest(h, c, slot);
        c.send({ ...msg, evidence: Buffer.from(milanVcek.report).toString('base64') });
        noKeyOnWire(await c.closed(), reason);
      }
      assert.equal(accepted(h).length, 0);
    } finally {
      await h.close();
    }
  });

  test('§6 a challenge issued on another connection is refused and burned', async () => {
    const h = await setup();
    try {
      expectSlot(h, 'local-1');
      expectSlot(h, 'local-2');
      const a = await connectRaw(h, 'local-1');
      const b = await connectRaw(h, 'local-2');
      b.send(forgeAttest(h, a, 'local-2').msg);
      noKeyOnWire(await b.closed(), 'challenge-mismatch');
      refusedWith(h, 'challenge-mismatch');
    } finally {
      await h.close();
    }
  });
});
