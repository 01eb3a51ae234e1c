/**
 * The sealflow provisioner (docs/protocol.md §3–§7): the one program a TEE
 * measures. Node built-ins only; its only imports from the rest of sealflow
 * are the WCPAC primitives in src/protocol/ (built-ins only too), and it is
 * shipped as one esbuild bundle (src/tee/provisioner-bundle.ts), so that what
 * is measured is that one file, `node` and the launch configuration.
 *
 *     node provisioner.js <launch.json> <master host:port> <slot> <bundle path>
 *
 * (or only `<launch.json>`, with the other three and the launch ticket in
 * unmeasured.json in the working directory — or, on `cvm`, in the fw_cfg
 * items launch.json names — where argv is fixed by a manifest or a measured image), and otherwise the slot's launch ticket in
 * SEALFLOW_TICKET (§3a).
 *
 * It generates its keys inside the TEE, authenticates the master by the pin
 * in its (measured) launch configuration before sending anything, obtains
 * evidence binding its keys to the master's challenge, and starts the
 * executor bundle — decrypted in memory — only after checking the master's
 * signature and the bundle's hash. Exit status 3 = refused (reason on stderr).
 */
import { X509Certificate, createHash, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { clockSkewProblem } from '../../protocol/clock-skew.js';
import { parseLaunchConfig, type EvidenceSource, type LaunchConfig } from '../../protocol/launch-config.js';
import { gramineEvidence, occlumEvidence, setScratchKey } from './evidence/gramine.js';
import { tsmEvidence } from './evidence/configfs-tsm.js';
import { parseUnmeasured, readFwCfgUnmeasured, UNMEASURED_FILE } from './unmeasured.js';
import { bundleKeyMessage, LABEL_BUNDLE_KEY, openBundle, ProvisionError, reportData, unwrapKey, x25519Raw } from '../../protocol/wcpac-crypto.js';

/** §4: why the server is not the pinned master, or null. Pure, for tests. */
export function checkMasterChain(pin: string, runId: string, masterKeySpki: Uint8Array, runCaDer: Uint8Array | undefined, leafDer: Uint8Array, now = new Date()): string | null {
  if (createHash('sha256').update(masterKeySpki).digest('hex') !== pin.toLowerCase()) return 'the master key does not match the pinned fingerprint';
  if (!runCaDer) return 'the server sent no run CA certificate';
  let master: KeyObject, ca: X509Certificate, leaf: X509Certificate;
  try {
    master = createPublicKey({ key: Buffer.from(masterKeySpki), format: 'der', type: 'spki' });
    ca = new X509Certificate(Buffer.from(runCaDer));
    leaf = new X509Certificate(Buffer.from(leafDer));
  } catch {
    return 'the server certificates cannot be parsed';
  }
  const valid = (c: X509Certificate) => now >= new Date(c.validFrom) && now <= new Date(c.validTo);
  if (!ca.ca || !ca.verify(master)) return 'the run CA certificate is not signed by the pinned master key';
  if (ca.subject !== `CN=sealflow run CA ${runId}`) return `the run CA certificate is not for run ${runId}`;
  if (!leaf.verify(ca.publicKey)) return 'the TLS certificate is not issued by the run CA';
  if (!valid(ca) || !valid(leaf)) return NOT_VALID_NOW;
  return null;
}

/** checkMasterChain's answer for a chain that is the pinned master's but not valid by this host's clock. */
export const NOT_VALID_NOW = 'a server certificate is not valid now';

/** §5: evidence over `rd` from the platform's guest evidence provider. */
async function obtainEvidence(src: EvidenceSource, rd: Buffer, cwd: string): Promise<Buffer> {
  if (src.kind === 'none') return Buffer.alloc(0);
  if (src.kind === 'sim') {
    const socketPath = path.resolve(cwd, src.socket);
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const s = net.connect(socketPath, () => s.end(rd));
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => resolve(Buffer.concat(chunks)));
          s.on('error', reject);
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (attempt >= 50 || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) throw new ProvisionError('no-evidence', `the sim evidence socket ${socketPath} failed: ${code ?? String(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  try {
    if (src.kind === 'gramine') return await gramineEvidence(rd, src.root);
    if (src.kind === 'occlum') return await occlumEvidence(rd, src.root);
    return await tsmEvidence(rd, src.root);
  } catch (err) {
    throw new ProvisionError('no-evidence', `${src.kind} evidence failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

type Msg = { readonly type: string; readonly [k: string]: unknown };

function lineReader(socket: tls.TLSSocket): () => Promise<Msg> {
  let buf = '';
  const queue: Msg[] = [];
  let waiter: { resolve: (m: Msg) => void; reject: (e: Error) => void } | null = null;
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure ??= e;
    waiter?.reject(failure);
    waiter = null;
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > 1 << 20) return fail(new ProvisionError('protocol', 'message too long'));
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      let m: unknown;
      try {
        m = JSON.parse(buf.slice(0, nl));
      } catch {
        return fail(new ProvisionError('protocol', 'malformed message from the master'));
      }
      buf = buf.slice(nl + 1);
      if (typeof m !== 'object' || m === null || typeof (m as Msg).type !== 'string') return fail(new ProvisionError('protocol', 'malformed message from the master'));
      if (waiter) {
        waiter.resolve(m as Msg);
        waiter = null;
      } else queue.push(m as Msg);
    }
  });
  socket.on('close', () => fail(new ProvisionError('connection-lost', 'the master closed the connection')));
  socket.on('error', (e) => fail(new ProvisionError('connection-lost', `connection to the master failed: ${e.message}`)));
  return () => {
    const m = queue.shift();
    if (m) return Promise.resolve(m);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => (waiter = { resolve, reject }));
  };
}

const str = (m: Msg, k: string): string => {
  const v = m[k];
  if (typeof v !== 'string') throw new ProvisionError('protocol', `message ${m.type} lacks ${k}`);
  return v;
};
const b64 = (m: Msg, k: string): Buffer => Buffer.from(str(m, k), 'base64');

export interface ProvisionOptions {
  readonly config: LaunchConfig;
  readonly host: string;
  readonly port: number;
  readonly slot: string;
  readonly bundlePath: string;
  /** §3a: the slot's launch ticket, sent before anything else. */
  readonly ticket: string;
  readonly cwd: string;
  readonly timeoutMs?: number;
  /** This host's clock (ms since the epoch); injectable for tests of §4's skew check. */
  readonly now?: () => number;
}

/** What the started bundle's `start(ctx)` receives: everything stays in this process's memory. */
export interface ExecutorContext {
  readonly runId: string;
  readonly slot: string;
  readonly master: { readonly host: string; readonly port: number; readonly pin: string; readonly publicKeySpki: Buffer };
  /** The master's executor port (§9), from the provisioned message (not security-relevant: the pin is checked again). */
  readonly exec: { readonly host: string; readonly port: number };
  readonly clientCertDer: Buffer;
  readonly runCaDer: Buffer;
  readonly identityKey: KeyObject;
  readonly keyReceivingKey: KeyObject;
}

/** §4–§6. Resolves with the started bundle's module; rejects with a ProvisionError. */
export async function provision(o: ProvisionOptions): Promise<{ readonly ctx: ExecutorContext; readonly module: unknown }> {
  const kr = generateKeyPairSync('x25519');
  const id = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const xPub = x25519Raw(kr.publicKey);
  const idSpki = id.publicKey.export({ type: 'spki', format: 'der' });
  const socket = tls.connect({ host: o.host, port: o.port, minVersion: 'TLSv1.3', rejectUnauthorized: false, servername: 'sealflow-master' });
  const timer = setTimeout(() => socket.destroy(new Error('timed out')), o.timeoutMs ?? 30_000);
  try {
    const next = lineReader(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', (e) => reject(new ProvisionError('connection-lost', `cannot connect to the master at ${o.host}:${o.port}: ${e.message}`)));
    });
    const peer = socket.getPeerCertificate(true);
    // §3a: the ticket first; without it the master says nothing.
    socket.write(JSON.stringify({ type: 'ticket', slot: o.slot, ticket: o.ticket }) + '\n');
    const hello = await next().catch((e: unknown) => {
      throw e instanceof ProvisionError && e.reason === 'connection-lost' ? new ProvisionError('no-hello', `the master at ${o.host}:${o.port} closed the connection after the launch ticket, without a hello: the ticket was most likely not the live ticket of slot ${o.slot} (spent, withdrawn when the master gave up on this launch, or from another run), or the master stopped`) : e;
    });
    if (hello.type !== 'hello' || hello['version'] !== 1) throw new ProvisionError('protocol', `expected hello, got ${hello.type}`);
    const runId = str(hello, 'runId');
    const challenge = b64(hello, 'challenge');
    const masterSpki = b64(hello, 'masterKey');
    const now = o.now ?? Date.now;
    if (typeof hello['time'] !== 'number') throw new ProvisionError('protocol', 'message hello lacks time');
    const local = now();
    const issuer = peer.issuerCertificate && peer.issuerCertificate !== peer ? peer.issuerCertificate.raw : undefined;
    const chainProblem = checkMasterChain(o.config.pin, runId, masterSpki, issuer, peer.raw, new Date(local));
    // The hello's time is believed only from the pinned master: an impostor gets master-not-pinned, never a skew story.
    const skew = chainProblem === null || chainProblem === NOT_VALID_NOW ? clockSkewProblem(hello['time'], local) : null;
    if (skew) {
      // The master is told too (its journal and the run's error name the skew); no evidence, no keys.
      await new Promise<void>((resolve) => socket.write(JSON.stringify({ type: 'clock-skew', time: local }) + '\n', () => resolve()));
      throw new ProvisionError('clock-skew', skew);
    }
    if (chainProblem) throw new ProvisionError('master-not-pinned', `refusing the master at ${o.host}:${o.port}: ${chainProblem}`);
    const masterKey = createPublicKey({ key: masterSpki, format: 'der', type: 'spki' });
    const evidence = await obtainEvidence(o.config.evidence, reportData(runId, o.slot, challenge, xPub, idSpki), o.cwd);
    socket.write(JSON.stringify({ type: 'attest', slot: o.slot, challenge: challenge.toString('base64'), evidence: evidence.toString('base64'), x25519: xPub.toString('base64'), identity: idSpki.toString('base64') }) + '\n');
    const reply = await next();
    if (reply.type === 'refused') throw new ProvisionError('refused', `the master refused this worker: ${str(reply, 'reason')}`);
    if (reply.type !== 'provisioned') throw new ProvisionError('protocol', `expected provisioned, got ${reply.type}`);
    const bundleSha = Buffer.from(str(reply, 'bundleSha256'), 'hex');
    const wrapped = b64(reply, 'wrappedKey');
    if (!verify('sha256', bundleKeyMessage(runId, o.slot, challenge, bundleSha, wrapped), { key: masterKey, dsaEncoding: 'ieee-p1363' }, b64(reply, 'signature'))) {
      throw new ProvisionError('bad-master-signature', 'the bundle-key message is not signed by the pinned master key');
    }
    const sealed = await readFile(o.bundlePath);
    if (!createHash('sha256').update(sealed).digest().equals(bundleSha)) throw new ProvisionError('bundle-hash-mismatch', `the executor bundle ${o.bundlePath} does not have the SHA-256 the master signed`);
    const code = openBundle(unwrapKey(kr.privateKey, LABEL_BUNDLE_KEY, wrapped), sealed);
    socket.end();
    const ctx: ExecutorContext = {
      runId,
      slot: o.slot,
      master: { host: o.host, port: o.port, pin: o.config.pin, publicKeySpki: masterSpki },
      exec: typeof reply['execPort'] === 'number' ? { host: o.host, port: reply['execPort'] } : { host: o.host, port: o.port },
      clientCertDer: b64(reply, 'clientCert'),
      runCaDer: Buffer.from(issuer as Buffer),
      identityKey: id.privateKey,
      keyReceivingKey: kr.privateKey,
    };
    const mod = (await import(`data:text/javascript;base64,${code.toString('base64')}`)) as { start?: (c: ExecutorContext) => unknown };
    if (typeof mod.start !== 'function') throw new ProvisionError('bad-bundle', 'the executor bundle exports no start function');
    await mod.start(ctx);
    return { ctx, module: mod };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** The command line: exit status 0 done, 2 usage or unmeasured values refused, 3 refused (reason on stderr). Exported for an entry that fixes argv (the Occlum image's). */
export async function main(argv: readonly string[]): Promise<number> {
  // Under the SGX and CVM platforms argv is fixed by the measurement to `<launch.json>` alone: the
  // unmeasured values then come from unmeasured.json in the working directory, parsed here (never the environment).
  let values: { host: string; port: number; slot: string; bundle: string; ticket: string } | undefined;
  const [configPath, address, slot, bundlePath] = argv;
  const ticket = process.env['SEALFLOW_TICKET'];
  delete process.env['SEALFLOW_TICKET']; // spent on the first connection; nothing the executor starts needs it
  if (configPath !== undefined && argv.length === 1) {
    try {
      // cvm: from the fw_cfg items named in the (measured) launch configuration; otherwise unmeasured.json here.
      const fwCfg = await readFile(configPath, 'utf8').then((t) => parseLaunchConfig(t).unmeasured, () => undefined);
      values = fwCfg !== undefined ? await readFwCfgUnmeasured(fwCfg.root) : parseUnmeasured(await readFile(UNMEASURED_FILE, 'utf8'));
    } catch (err) {
      process.stderr.write(`sealflow provisioner: unmeasured-values: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
  } else {
    const m = /^(.*):(\d+)$/.exec(address ?? '');
    if (m && slot && bundlePath && ticket) values = { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), slot, bundle: bundlePath, ticket };
  }
  if (!configPath || !values) {
    process.stderr.write('usage: SEALFLOW_TICKET=<launch ticket> provisioner <launch.json> <master host:port> <slot> <bundle path>  (or <launch.json> alone, with unmeasured.json in the working directory)\n');
    return 2;
  }
  try {
    const config = parseLaunchConfig(await readFile(configPath, 'utf8'));
    if (config.scratchKey !== undefined && config.evidence.kind === 'gramine') await setScratchKey(config.scratchKey, config.evidence.root);
    await provision({ config, host: values.host, port: values.port, slot: values.slot, bundlePath: values.bundle, ticket: values.ticket, cwd: process.cwd() });
    return 0;
  } catch (err) {
    const reason = err instanceof ProvisionError ? err.reason : 'error';
    process.stderr.write(`sealflow provisioner: ${reason}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 3;
  }
}

// import.meta.url is empty where the bundle is converted to CommonJS (the Occlum entry), which calls main itself.
// Node names the main module by its real path: the entry may be a symlink in the worker's directory (local connector).
const isMain = (a: string | undefined): boolean => a !== undefined && typeof import.meta.url === 'string' && import.meta.url === pathToFileURL(realpathSync(a)).href;
if (isMain(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
