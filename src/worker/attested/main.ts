/**
 * The attested executor (docs/protocol.md §9): the entry of the executor
 * bundle the provisioner decrypts in memory and starts with `start(ctx)`.
 * It connects to the master's executor port with mutual TLS — its client
 * certificate from the run CA, its identity key generated in the TEE —
 * authenticates the master as the provisioner did (the pin), and runs the
 * execution channel (§1) over that connection. When the connection to the
 * master is lost it cancels what it runs and exits.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { streamChannel } from '../../protocol/channel.js';
import { validateSealedMasterToWorker, type SealedMasterToWorker, type SealedWorkerToMaster } from '../../protocol/data-port.js';
import { MAX_FRAME_EXECUTION } from '../../protocol/execution.js';
import { executorLoop } from '../executor/loop.js';
import { skipPlaintextOutputHashes } from '../executor/outputs.js';
import { isSealed } from '../../protocol/sealed.js';
import { attemptScratchDir, ensureWorkerScratch, workerScratchDir } from '../../protocol/scratch.js';
import { openDataFlow } from './data-flow.js';
import { prepareSealed } from './sealed.js';
import { useEmbeddedChunkWorker } from './crypto-pool.js';
import { startWorkerCpuProfile } from '../cpu-prof.js';
import { useQuickJSSource } from '../../workflow/cwl/expr/sandbox.js';
import { bundledSandboxRef, openSealedSandbox } from './sandbox.js';
import { ProvisionError } from '../../protocol/wcpac-crypto.js';
import { checkMasterChain, type ExecutorContext } from '../provisioner/provisioner.js';

function pem(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

/**
 * Where the data port listens (§15.8): where the connector says
 * (`SEALFLOW_DATA_LISTEN`, an IP address: an ssh host whose workers reach
 * the master through a tunnel to its loopback listens on the host's
 * network), else on the address this worker reaches the master from.
 * Not measured and not trusted: the host decides its network anyway, and
 * every peer is authenticated by its run-CA certificate.
 */
function dataListen(local: string | undefined): string {
  const want = process.env['SEALFLOW_DATA_LISTEN'];
  if (want !== undefined && want !== '') {
    if (net.isIP(want) !== 0) return want;
    process.stderr.write(`executor: SEALFLOW_DATA_LISTEN=${JSON.stringify(want)} is not an IP address; the data port listens on ${local ?? '127.0.0.1'}\n`);
  }
  return local ?? '127.0.0.1';
}

export async function start(ctx: ExecutorContext): Promise<void> {
  useEmbeddedChunkWorker(); // large files are sealed and opened on the crypto pool too
  skipPlaintextOutputHashes(); // every output is sealed and reported by its ciphertext's hash (§10.5)
  startWorkerCpuProfile(ctx.slot); // off unless SEALFLOW_WORKER_CPU_PROF is set (profiling only)
  const { host, port } = ctx.exec;
  const socket = tls.connect({
    host,
    port,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: false,
    servername: 'sealflow-master',
    cert: pem(ctx.clientCertDer),
    key: ctx.identityKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  });
  socket.setNoDelay(true); // the execution channel's small messages go out at once, no Nagle + delayed-ACK wait (§10.4)
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const peer = socket.getPeerCertificate(true);
  const issuer = peer.issuerCertificate && peer.issuerCertificate !== peer ? peer.issuerCertificate.raw : undefined;
  const problem = checkMasterChain(ctx.master.pin, ctx.runId, ctx.master.publicKeySpki, issuer, peer.raw);
  if (problem) {
    socket.destroy();
    throw new ProvisionError('master-not-pinned', `executor: refusing the master at ${host}:${port}: ${problem}`);
  }
  // §15: the data port, on the address this worker reaches the master from; the loop sees the §1 channel.
  const raw = streamChannel<SealedWorkerToMaster, SealedMasterToWorker>(socket, socket, {
    validate: validateSealedMasterToWorker,
    maxFrame: MAX_FRAME_EXECUTION,
    name: 'execution channel',
    onRefuse: (e) => process.stderr.write(`executor ${ctx.slot}: closing the channel to the master: ${e.message}\n`),
  });
  const data = await openDataFlow({ runId: ctx.runId, runCaDer: ctx.runCaDer, certDer: ctx.clientCertDer, key: ctx.identityKey }, raw, dataListen(socket.localAddress));
  const channel = data.channel;
  // §7.2: QuickJS comes sealed from the master, and only when a step first needs JavaScript.
  useQuickJSSource(() => openSealedSandbox(bundledSandboxRef(), () => data.sandbox()));
  // §10.8: every plaintext of this worker (decrypted inputs, task code, scratch, outputs before they are
  // sealed) lives in its own directory outside the run directory, `<the master's scratch root>/<pid>/`, marked
  // with its pid and start time: wiped when this process exits, and by the next sealflow command if it is killed.
  const workerDirs = new Set<string>();
  const loop = executorLoop({
    channel,
    name: ctx.slot,
    // Lost master or shutdown: no decrypted input or scratch outlives this process.
    onStop: () => {
      for (const d of workerDirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    },
    assign(msg, loop) {
      if (!isSealed(msg)) {
        // An attested worker only handles encrypted data (docs/protocol.md §10).
        channel.send({ type: 'failed', id: msg.id, exitStatus: null, signal: null, message: 'this attested worker accepts only sealed assignments', stderrTail: '', durationMs: 0 });
        return;
      }
      const workerDir = workerScratchDir(msg.scratchDir);
      try {
        ensureWorkerScratch(workerDir);
      } catch (e) {
        channel.send({ type: 'failed', id: msg.id, exitStatus: null, signal: null, message: `cannot create the worker's scratch directory ${workerDir}: ${e instanceof Error ? e.message : String(e)}`, stderrTail: '', durationMs: 0 });
        return;
      }
      workerDirs.add(workerDir);
      const mine: typeof msg = { ...msg, scratchDir: attemptScratchDir(msg.scratchDir) };
      void prepareSealed(mine, ctx.keyReceivingKey, path.join(workerDir, 'code'), data.puller).then(
        (prep) =>
          loop.run(prep.msg, async (r, keeper) => {
            // Stopping (lost master): nothing is sealed or sent any more; onStop wipes the plaintext. Sealing a log
            // now would create files in the directories being wiped.
            if (loop.stopping) return r;
            const done = await prep.finish(r, keeper);
            if (done.type === 'succeeded') data.offer(done.outputs);
            return done;
          }),
        (err: unknown) => channel.send({ type: 'failed', id: msg.id, exitStatus: null, signal: null, message: err instanceof Error ? err.message : String(err), stderrTail: '', durationMs: 0 }),
      );
    },
  });
  // SIGTERM (a remote host's session ended: docs/connectors/ssh.md, "Remote processes"): stop the attempts
  // and wipe this worker's plaintext, as for a lost master, before the launcher's SIGKILL.
  process.on('SIGTERM', () => void loop.stopAll(143));
}
