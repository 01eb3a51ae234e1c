/** A master side (broker + sim platform) and worker launches for the WCPAC tests. */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { definePolicy, type AttestationPolicy } from '../../src/attestation/policy.js';
import { ephemeralMaster } from '../../src/crypto/master-key.js';
import { RunCa } from '../../src/crypto/run-ca.js';
import { X25519Identity } from '../../src/crypto/x25519.js';
import { KeyBroker } from '../../src/master/broker/broker.js';
import type { BrokerDecision, ExpectedSlot } from '../../src/master/broker/types.js';
import { provisionerBundle } from '../../src/tee/provisioner-bundle.js';
import { referenceSimMeasurement, writeSimLaunchConfig } from '../../src/tee/sim/measure.js';
import { SimPlatform, SimRoot } from '../../src/tee/sim/index.js';
import type { PlatformName } from '../../src/tee/platform.js';
import { reportData, sealBundle, x25519Raw } from '../../src/protocol/wcpac-crypto.js';

export const BUNDLE_SOURCE = "export async function start(ctx) { process.stdout.write('BUNDLE-STARTED ' + ctx.slot + ' cert=' + ctx.clientCertDer.length + '\\n'); }\n";

export interface Harness {
  readonly dir: string;
  readonly runId: string;
  readonly master: ReturnType<typeof ephemeralMaster>;
  readonly runCa: RunCa;
  readonly root: SimRoot;
  readonly sim: SimPlatform;
  readonly broker: KeyBroker;
  readonly decisions: BrokerDecision[];
  readonly bundlePath: string;
  readonly bundleKey: Buffer;
  readonly configPath: string;
  readonly measurement: string;
  readonly runIdentity: X25519Identity;
  /** Slot -> the launch ticket `expectSlot` got for it (§3a), until a connection spends it. */
  readonly tickets: Map<string, string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly policy?: (measurement: string) => AttestationPolicy;
  /** Sign bundle-key messages with this key instead of the master's (an impostor). */
  readonly signingKeyOverride?: ReturnType<typeof generateKeyPairSync>['privateKey'];
  /** The executor bundle's plaintext code (default: a marker that prints BUNDLE-STARTED). */
  readonly bundleCode?: string;
  /** The provisioning port's handshake deadline and refusal journalling interval (docs/protocol.md "Framing and limits"). */
  readonly handshakeDeadlineMs?: number;
  readonly refusalLogIntervalMs?: number;
  /** Collateral other than the run's sim root key (recorded vendor collateral), and the time evidence is judged at (a recorded sample's pinned time; the master's clock stays the system's). */
  readonly collateral?: import('../../src/attestation/verifier.js').Collateral;
  readonly verifyAt?: () => Date;
  /** Where the broker listens (the advertised address, docs/protocol.md §0.1; default loopback). */
  readonly listenHost?: string;
}

export async function setup(o: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealflow-wcpac-'));
  const runId = `run-${randomBytes(4).toString('hex')}`;
  const master = ephemeralMaster();
  const runCa = await RunCa.create(master, runId, 3_600_000);
  const root = new SimRoot();
  const sim = new SimPlatform(runId, root);
  const bundleKey = randomBytes(32);
  const sealed = sealBundle(bundleKey, Buffer.from(o.bundleCode ?? BUNDLE_SOURCE));
  const bundlePath = path.join(dir, 'executor.bundle');
  await writeFile(bundlePath, sealed);
  const configPath = path.join(dir, 'launch.json');
  writeSimLaunchConfig(configPath, master.pin);
  const measurement = referenceSimMeasurement(master.pin);
  const policy = o.policy?.(measurement) ?? definePolicy({ allowSimulated: true, sim: { measurements: [measurement] } });
  const decisions: BrokerDecision[] = [];
  const runIdentity = X25519Identity.generate();
  const broker = await KeyBroker.start({
    runId,
    master: { signingKey: o.signingKeyOverride ?? master.signingKey, signingPublicKey: master.signingPublicKey },
    runCa,
    policy,
    collateral: o.collateral ?? root.collateral(),
    ...(o.verifyAt !== undefined ? { verifyAt: o.verifyAt } : {}),
    bundle: { sha256: createHash('sha256').update(sealed).digest(), key: bundleKey },
    identities: { broker: master.brokerIdentity, run: runIdentity },
    record: (d) => decisions.push(d),
    ...(o.handshakeDeadlineMs !== undefined ? { handshakeDeadlineMs: o.handshakeDeadlineMs } : {}),
    ...(o.refusalLogIntervalMs !== undefined ? { refusalLogIntervalMs: o.refusalLogIntervalMs } : {}),
  }, o.listenHost);
  return {
    dir, runId, master, runCa, root, sim, broker, decisions, bundlePath, bundleKey, configPath, measurement, runIdentity, tickets: new Map(),
    async close() {
      await broker.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function expectSlot(h: Harness, slot: string, platform: PlatformName = 'sim', connector = 'local'): ExpectedSlot {
  const s: ExpectedSlot = { slot, deployment: slot.replace(/-\d+$/, ''), connector, platform };
  h.tickets.set(slot, h.broker.expect(s));
  return s;
}

export interface WorkerRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Launches the provisioner for `slot` under the sim platform, as a connector would, and waits for it to exit. */
export async function launchWorker(h: Harness, slot: string, o: { program?: string; config?: string; bundle?: string; port?: number; ticket?: string; env?: Record<string, string>; wrap?: readonly string[] } = {}): Promise<WorkerRun> {
  const workDir = path.join(h.dir, 'workers', slot);
  await mkdir(workDir, { recursive: true });
  const { host, port } = h.broker.address;
  const cmd = h.sim.launch({
    program: o.program ?? PROVISIONER_PATH,
    args: [o.config ?? h.configPath, `${host}:${o.port ?? port}`, slot, o.bundle ?? h.bundlePath],
    // §3a: the slot's launch ticket, as every connector passes it (the run's environment plus the ticket).
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SEALFLOW_TICKET: o.ticket ?? h.tickets.get(slot) ?? 'no-ticket-was-issued-for-this-slot-xxxxxxxx', ...o.env },
    workDir,
  });
  return new Promise((resolve, reject) => {
    // `wrap`: a command prefix the platform's command runs under (e.g. `ip netns exec <ns>`: another host).
    const argv = [...(o.wrap ?? []), cmd.command, ...cmd.args];
    const child = spawn(argv[0] as string, argv.slice(1), { cwd: cmd.cwd, env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An attacker's (or test's) raw connection to the broker: everything received is kept. */
export interface RawConnection {
  readonly hello: { runId: string; challenge: string; masterKey: string };
  send(msg: object): void;
  /** Every message and the raw text received until the master closes. */
  closed(): Promise<{ readonly messages: { type: string; [k: string]: unknown }[]; readonly raw: string }>;
}

/**
 * A connection that presents the launch ticket of `slot` (default: the slot
 * expected last whose ticket is unspent) and waits for the hello (§3a, §4).
 */
export async function connectRaw(h: Harness, slot?: string): Promise<RawConnection> {
  const { host, port } = h.broker.address;
  const s = slot ?? [...h.tickets.keys()].at(-1);
  const ticket = s !== undefined ? h.tickets.get(s) : undefined;
  if (s === undefined || ticket === undefined) throw new Error('connectRaw: no unspent launch ticket (call expectSlot first)');
  h.tickets.delete(s);
  const socket = tls.connect({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  socket.once('secureConnect', () => socket.write(JSON.stringify({ type: 'ticket', slot: s, ticket }) + '\n'));
  let raw = '';
  const done = new Promise<void>((r) => socket.on('close', () => r()));
  socket.on('error', () => undefined);
  const hello = await new Promise<RawConnection['hello']>((resolve, reject) => {
    socket.on('close', () => reject(new Error('connectRaw: the master closed the connection without a hello')));
    socket.on('data', (b: Buffer) => {
      raw += b.toString();
      const nl = raw.indexOf('\n');
      if (nl >= 0 && raw.slice(0, nl).includes('"hello"')) resolve(JSON.parse(raw.slice(0, nl)) as RawConnection['hello']);
    });
  });
  return {
    hello,
    send: (m) => socket.write(JSON.stringify(m) + '\n'),
    async closed() {
      await done;
      return { messages: raw.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string }), raw };
    },
  };
}

/** Fresh worker keys and an attest message with evidence signed by `root` for `measurement`. */
export function forgeAttest(h: Harness, c: RawConnection, slot: string, o: { root?: SimRoot; runId?: string; slotInEvidence?: string; measurement?: string; substituteX25519?: boolean } = {}) {
  const kr = generateKeyPairSync('x25519');
  const id = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const x = x25519Raw(kr.publicKey);
  const spki = id.publicKey.export({ type: 'spki', format: 'der' });
  const challenge = Buffer.from(c.hello.challenge, 'base64');
  const rd = reportData(o.runId ?? h.runId, o.slotInEvidence ?? slot, challenge, x, spki);
  const evidence = (o.root ?? h.root).sign(o.runId ?? h.runId, Buffer.from(o.measurement ?? h.measurement, 'hex'), rd);
  const sentX = o.substituteX25519 === true ? x25519Raw(generateKeyPairSync('x25519').publicKey) : x;
  const msg = {
    type: 'attest',
    slot,
    challenge: c.hello.challenge,
    evidence: Buffer.from(evidence).toString('base64'),
    x25519: sentX.toString('base64'),
    identity: spki.toString('base64'),
  };
  return { msg, keyReceivingKey: kr.privateKey, identityKey: id.privateKey };
}

/** The one-file provisioner every platform launches (and the sim platform measures). */
export const PROVISIONER_PATH = provisionerBundle().path;
