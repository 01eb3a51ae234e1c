/**
 * One run's attested workers (DESIGN.md steps 3–5) for deployments whose
 * platform produces evidence (`sim` here), or that encrypt without one
 * (`none`): the run CA, the sim root, the key broker and executor port, the
 * sealed executor bundle, the run identity. It says what a connector
 * launches for a worker slot (the provisioner under the run's platform
 * object, with its files), waits until the launched worker is attested and
 * its executor connected over mTLS, and hands the engine a WorkerHandle
 * whose channel carries sealed assignments.
 *
 * It is opened by the run's MasterSession (master-session.ts) on first use,
 * with the settings the engine handed that object; broker decisions go to
 * the MasterSession's journal sink.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { definePolicy, type AttestationPolicy } from '../attestation/policy.js';
import { RunCa } from '../crypto/run-ca.js';
import type { X25519Recipient } from '../crypto/x25519.js';
import type { LaunchedWorker, LaunchRequest, WorkerHandle } from '../connectors/connector.js';
import type { TeePlatform } from '../tee/platform.js';
import type { TeeRequirement } from '../workflow/model.js';
import { SimPlatform, SimRoot, SIM_WARNING } from '../tee/sim/index.js';
import { provisionerBundle } from '../tee/provisioner-bundle.js';
import { referenceSimMeasurement, writeSimLaunchConfig } from '../tee/sim/measure.js';
import { KeyBroker } from './broker/broker.js';
import { ExecServer } from './broker/exec-server.js';
import { buildExecutorCode, sealExecutorBundle, sealSandbox } from './broker/executor-bundle.js';
import { BrokerRefusal, type BrokerDecision } from './broker/types.js';
import { useDigestKey } from './broker/file-keys.js';
import { localMaster, ownerRecipient } from './local-master.js';
import { admittedLine, NONE_RUN_WARNING, writeNoneLaunchConfig } from './unattested.js';
import { nonePlatform } from '../tee/none/index.js';
import { graminePlatform } from '../tee/gramine/index.js';
import { buildGramineEnclave, evidenceSource, type HardwareOptions } from './gramine-enclave.js';
import { occlumPlatform } from '../tee/occlum/index.js';
import { buildOcclumImage } from './occlum-image.js';
import { cvmDeploymentPlatform, type CvmVmOptions } from './cvm-vm.js';
import { openRunSecrets, type SessionSecrets } from './run-secrets.js';
import { sealedChannel } from './sealed-channel.js';
import { stagedChannel } from './staging.js';
import type { InPlaceInput } from './data/admit.js';
import { InputAdmission } from './admission.js';
import { DataSources } from './sources.js';
import { removeWorkerScratch, scratchLine, workerScratchDir } from '../protocol/scratch.js';
import { hostPort, LOOPBACK, type Advertise } from './advertise.js';

const READY_TIMEOUT_MS = 20_000;
/** The names of the launch configuration and the sealed executor bundle in a worker's directory. */
const LAUNCH_FILE = 'launch.json';
const BUNDLE_FILE = 'executor.bundle';

/** What a run's attested session is opened with (handed in by the engine through the MasterSession). */
export interface AttestedSettings {
  readonly runId: string;
  /** The run directory: if it holds run secrets (a resumed encrypted run), the session reuses them. */
  readonly runRoot?: string;
  /** The owner's recipient (`age1…`); default: the local owner identity. */
  readonly owner?: string;
  /** Step `label` -> its tee requirement (default: none). */
  readonly teeOf?: (label: string) => TeeRequirement;
  /** Where warnings and admission lines go. */
  readonly warn: (m: string) => void;
  /** Where key-broker decisions go (the run journal, buffered until it exists). */
  readonly record: (d: BrokerDecision) => void;
  /** Where the broker and executor ports listen; workers are given this host (default loopback, any free port). */
  readonly advertise?: Advertise;
  /** Inputs already on a deployment's hosts, by id (`<deployment>:<path>`): admitted from their signed manifest entries. */
  readonly data?: ReadonlyMap<string, InPlaceInput>;
}

export interface AttestedDeployment {
  readonly id: string;
  readonly connector: string;
  /** `none`: launched without a TEE and admitted without evidence (local, or where the policy allows it); `gramine`, `occlum`: an enclave the master builds and signs (gramine-enclave.ts, occlum-image.ts); `cvm`: a VM booted from the user's measured image (cvm-vm.ts). */
  readonly platform: 'sim' | 'none' | 'gramine' | 'occlum' | 'cvm';
  /** A hardware platform's compiled options, and the deployment's options (its sizing). */
  readonly hardware?: HardwareOptions;
  /** `cvm`: the VM its workers boot (cvm-vm.ts). */
  readonly vm?: CvmVmOptions;
  readonly options?: Readonly<Record<string, unknown>>;
  /** The deployment's policy (`policy:` in sealflow.yaml); default: sim allowed with this sealflow's reference measurement. */
  readonly policy?: AttestationPolicy;
  /** §15.7: where its workers read inputs other workers produced. */
  readonly transfers?: 'direct' | 'master';
}

export class AttestedSession {
  #live = 0;
  #closed = false;
  /** Set by the worker pool: the session stays open when its last worker exits (a replacement may follow). */
  #held = false;
  readonly #warned = new Set<string>();
  /** Per gramine or occlum deployment: the signed enclave's files, built once per run (gramine-enclave.ts, occlum-image.ts). */
  readonly #enclaves = new Map<string, Record<string, string>>();
  /** Per cvm deployment: the platform booting its VM (HOST_DATA from this master's launch.json). */
  readonly #vms = new Map<string, TeePlatform>();
  /** The master-key pin the enclaves' launch.json fixes. */
  #pin = '';
  /** §7.2: the run's sealed expression sandbox, made on the first request of a worker. */
  #sandbox: (() => Promise<Buffer>) | undefined;
  /** §15: which worker produced which ciphertext, and where their data ports are. */
  readonly sources: DataSources;
  /** The run's inputs as the broker records them: owner ciphertexts, sealed plaintexts, data in place. */
  readonly inputs: InputAdmission;

  private constructor(
    readonly runId: string,
    readonly dir: string,
    readonly broker: KeyBroker,
    readonly exec: ExecServer,
    readonly sim: SimPlatform,
    readonly bundlePath: string,
    readonly configPath: string,
    readonly noneConfigPath: string,
    readonly recipients: readonly string[],
    readonly brokerRecipient: X25519Recipient,
    /** The run identity and hash key: fresh, or those of the run being resumed (run-secrets.ts). */
    readonly secrets: SessionSecrets,
    private readonly warn: (m: string) => void,
    private readonly teeOf: (label: string) => TeeRequirement,
    private readonly refusals: ReadonlyMap<string, string>,
    /** The host workers dial: the advertised one (a name stays a name). */
    readonly advertisedHost: string,
    data: ReadonlyMap<string, InPlaceInput> = new Map(),
  ) {
    this.sources = new DataSources(broker);
    this.inputs = new InputAdmission(broker, dir, brokerRecipient, secrets.hashKey, data);
  }

  static async open(settings: AttestedSettings): Promise<AttestedSession> {
    const { runId, warn } = settings;
    // esbuild works in its own process: the bundle builds while this thread loads keys and makes the run CA.
    const code = buildExecutorCode();
    code.catch(() => undefined); // awaited below
    const master = await localMaster(warn);
    const owner = await ownerRecipient(settings.owner, warn);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sealflow-attested-${runId}-`));
    const runCa = await RunCa.create(master, runId, 7 * 24 * 3_600_000);
    const root = new SimRoot();
    const sim = new SimPlatform(runId, root);
    const sandboxKey = randomBytes(32); // §7.2: the sandbox is sealed with it only when a worker first asks
    const bundle = await sealExecutorBundle(await code, path.join(dir, 'executor.bundle'), sandboxKey);
    const configPath = path.join(dir, 'launch.json');
    writeSimLaunchConfig(configPath, master.pin);
    const noneConfigPath = path.join(dir, 'launch-none.json');
    writeNoneLaunchConfig(noneConfigPath, master.pin);
    const secrets = await openRunSecrets(runId, settings.runRoot, master);
    const runIdentity = secrets.runIdentity;
    // The broker's last refusal per slot: a worker that exits before it is ready is reported with it.
    const refusals = new Map<string, string>();
    const record = (d: BrokerDecision) => {
      if (d.type === 'attestation' && d.decision === 'refused' && d.slot !== undefined) refusals.set(d.slot, `${d.reason ?? 'refused'}: ${d.message ?? ''}`);
      settings.record(d);
    };
    const listen = settings.advertise ?? LOOPBACK;
    const broker = await KeyBroker.start({
      runId,
      master,
      runCa,
      policy: definePolicy({ allowSimulated: true, sim: { measurements: [referenceSimMeasurement(master.pin)] } }),
      collateral: root.collateral(),
      bundle,
      identities: { broker: master.brokerIdentity, run: runIdentity }, // each for its own files only (§16.3)
      record,
    }, listen.host, listen.port).catch(async (e: unknown) => {
      await sim.close();
      fs.rmSync(dir, { recursive: true, force: true });
      throw listenError(e, listen);
    });
    useDigestKey(broker, secrets.hashKey); // key digests stable for the run: a resume restores the seen keys from the journal (§16.3)
    const exec = await ExecServer.start(broker, listen.host, listen.port).catch(async (e: unknown) => {
      await broker.close();
      await sim.close();
      fs.rmSync(dir, { recursive: true, force: true });
      throw listenError(e, listen);
    });
    broker.execPort = exec.address.port;
    const session = new AttestedSession(runId, dir, broker, exec, sim, bundle.path, configPath, noneConfigPath, [runIdentity.recipient().toString(), owner.toString()], master.brokerIdentity.recipient(), secrets, warn, settings.teeOf ?? (() => 'none'), refusals, listen.host, settings.data);
    session.#pin = master.pin;
    let sealedSandbox: Promise<Buffer> | undefined;
    const executorCode = await code;
    session.#sandbox = () => (sealedSandbox ??= sealSandbox(executorCode, sandboxKey));
    return session;
  }

  /** The ciphertext path of an input: age files are recorded as they are; plaintext is encrypted to the broker first. */
  /** Admits input `file` for the run (once, however many steps read it): the path of its recorded ciphertext (admission.ts). */
  admit(file: string): Promise<string> {
    return this.inputs.admit(file);
  }

  /** §10.6: the resume hash of plaintext input `file` from its admission pass, or undefined. */
  keyedDigest(file: string): Promise<string | undefined> {
    return this.inputs.keyedDigest(file);
  }

  /**
   * Before `d`'s workers are launched: the run's warnings (once per platform)
   * and the session stays open when its last worker exits (a replacement may follow).
   */
  async starting(d: AttestedDeployment): Promise<void> {
    this.#held = true;
    if (!this.#warned.has(d.platform) && (d.platform === 'sim' || d.platform === 'none')) this.warn(`sealflow: ${d.platform === 'sim' ? SIM_WARNING : NONE_RUN_WARNING}\n`);
    if (d.platform === 'gramine' && !this.#enclaves.has(d.id)) this.#enclaves.set(d.id, buildGramineEnclave(path.join(this.dir, `enclave-${d.id}`), d.id, d.options ?? {}, d.hardware as HardwareOptions, this.#pin));
    if (d.platform === 'occlum' && !this.#enclaves.has(d.id)) this.#enclaves.set(d.id, await buildOcclumImage(path.join(this.dir, `enclave-${d.id}`), d.id, d.options ?? {}, d.hardware as HardwareOptions, this.#pin));
    if (d.platform === 'cvm' && !this.#vms.has(d.id)) this.#vms.set(d.id, cvmDeploymentPlatform(d.vm as CvmVmOptions, this.#pin, evidenceSource('cvm', d.hardware as HardwareOptions)));
    if (this.#warned.size === 0) this.warn(`sealflow: ${scratchLine(this.runId)}\n`);
    this.#warned.add(d.platform);
  }

  /** The broker expects a worker in `slot` of deployment `d` (before it is launched): the slot's launch ticket (§3a). */
  expect(d: AttestedDeployment, slot: string): string {
    const h = d.hardware;
    const hw = { ...(h?.collateral !== undefined ? { collateral: h.collateral } : {}), ...(h?.verifyAt !== undefined ? { verifyAt: h.verifyAt } : {}) };
    return this.broker.expect({ slot, deployment: d.id, connector: d.connector, platform: d.platform, ...(d.policy !== undefined ? { policy: d.policy } : {}), ...(d.transfers !== undefined ? { transfers: d.transfers } : {}), ...hw });
  }

  /**
   * What a connector launches for `slot`: the provisioner under the run's
   * platform object (sim: this run's, with its evidence socket and root),
   * shipped with its launch configuration and the sealed executor bundle;
   * `env` is what the provisioner's environment adds to the run's (its
   * launch ticket, §3a), so every connector carries it as it carries `env`.
   */
  launchSpec(d: AttestedDeployment, slot: string, ticket: string): Pick<LaunchRequest, 'platform' | 'program' | 'localBase' | 'env'> {
    const host = this.advertisedHost;
    const { port } = this.broker.address;
    const platform: TeePlatform = d.platform === 'sim' ? this.sim : nonePlatform;
    const files = { [LAUNCH_FILE]: d.platform === 'sim' ? this.configPath : this.noneConfigPath, [BUNDLE_FILE]: this.bundlePath };
    const args = (dir: string) => [path.join(dir, LAUNCH_FILE), hostPort(host, port), slot, path.join(dir, BUNDLE_FILE)];
    const dials = [{ host, port }, { host, port: this.exec.address.port }];
    if (d.platform === 'gramine' || d.platform === 'occlum') {
      const enclave = this.#enclaves.get(d.id);
      if (enclave === undefined) throw new Error(`deployment ${d.id}: its ${d.platform} enclave was not built before its workers were launched`);
      // The signed manifest (the image's entry) fixes argv; the unmeasured values follow (§3).
      const gramine = (dir: string) => [hostPort(host, port), slot, path.join(dir, BUNDLE_FILE)];
      return { platform: d.platform === 'gramine' ? graminePlatform : occlumPlatform, program: { entry: provisionerBundle().path, files: { ...enclave, [BUNDLE_FILE]: this.bundlePath }, args: gramine, dials }, localBase: this.dir, env: { SEALFLOW_TICKET: ticket } };
    }
    const vm = this.#vms.get(d.id);
    if (d.platform === 'cvm') {
      if (vm === undefined) throw new Error(`deployment ${d.id}: its VM was not set up before its workers were launched`);
      // The measured image holds the provisioner and launch.json: only the sealed bundle is shipped; the executor port is forwarded into the VM (§3).
      const cvm = (dir: string) => [hostPort(host, port), slot, path.join(dir, BUNDLE_FILE), hostPort(host, this.exec.address.port)];
      return { platform: vm, program: { entry: provisionerBundle().path, files: { [BUNDLE_FILE]: this.bundlePath }, args: cvm, dials }, localBase: this.dir, env: { SEALFLOW_TICKET: ticket } };
    }
    return { platform, program: { entry: provisionerBundle().path, files, args, dials }, localBase: this.dir, env: { SEALFLOW_TICKET: ticket } };
  }

  /** Why the key broker refused the worker in `slot`, if it did (`reason: message`). */
  refusalOf(slot: string): string | undefined {
    return this.refusals.get(slot);
  }

  /** The launch of `slot` was abandoned before it was ready: its ticket admits nobody any more (§3a). */
  abandon(slot: string): void {
    this.broker.abandon(slot);
  }

  /** Resolves when the launched worker in `slot` is attested, its executor connected over mTLS and ready; else kills it and rejects. */
  async waitReady(d: AttestedDeployment, slot: string, launched: LaunchedWorker): Promise<WorkerHandle> {
    this.#live++;
    const { exited } = launched;
    let pid: number | undefined;
    void exited.then(() => {
      // §10.8: a worker killed before it could wipe its plaintext leaves it in its own scratch directory.
      if (pid !== undefined) removeWorkerScratch(this.runId, pid);
      // The pool may start a replacement for a dead worker (docs/protocol.md §12): it closes the session itself.
      if (--this.#live === 0 && !this.#held) void this.close();
    });
    const kill = () => launched.kill();
    // Process groups the executor reported (`started`) and may have left behind when it died.
    const reap = (pgids: readonly number[]) => launched.reap(pgids);
    let timer: NodeJS.Timeout | undefined;
    try {
      const ready = (async () => {
        const attested = await this.broker.waitAttested(slot).catch((e: unknown) => {
          throw e instanceof BrokerRefusal ? new Error(`worker ${slot} (deployment ${d.id}, connector ${d.connector}, platform ${d.platform}) was refused by the key broker (${e.reason}): ${e.message}`) : e;
        });
        this.warn(admittedLine(slot, attested));
        const raw = await this.exec.channel(slot);
        // A host without the master's disk gets its inputs copied to it and its outputs copied back (staging.ts).
        const staged = launched.stage ? stagedChannel(raw, launched.stage, slot, d.transfers === 'direct' ? this.sources : undefined, this.inputs.inPlaceOn(d.id)) : undefined;
        const inner = staged ?? raw;
        const channel = sealedChannel(inner, { broker: this.broker, slot, recipients: this.recipients, admit: (p) => this.admit(p), teeOf: this.teeOf, sources: this.sources, workerPid: launched.pid, ...(this.#sandbox ? { sandbox: this.#sandbox } : {}), ...(launched.dataHost !== undefined ? { dataHost: launched.dataHost } : {}), ...(launched.stage ? { otherHost: true } : {}) });
        const first = await new Promise<{ pid: number; host: string }>((resolve) => channel.onMessage((m) => (m.type === 'ready' ? resolve(m) : undefined)));
        pid = first.pid;
        // The attempts' scratch is in the worker's own directory under the assigned path (§10.8).
        const wipe = (dirs: readonly string[]) => launched.wipe([...new Set(dirs.map((x) => workerScratchDir(x, first.pid)))]);
        const revoke = (reason: string) => this.broker.revoke(slot, reason);
        const onVacated = staged ? { onVacated: (h: (id: string) => void) => staged.onVacated(h) } : {};
        return { id: slot, host: first.host, pid: first.pid, ...(launched.job !== undefined ? { job: launched.job } : {}), channel, exited, kill, reap, wipe, revoke, ...onVacated } satisfies WorkerHandle;
      })();
      return await Promise.race([
        ready,
        exited.then((x) => {
          const refused = this.refusals.get(slot);
          const why = refused !== undefined ? `: the key broker refused it (${refused})` : '';
          return Promise.reject(new Error(`worker ${slot} (deployment ${d.id}, connector ${d.connector}, platform ${d.platform}) exited before it was ready (code ${x.code}, signal ${x.signal})${why}`));
        }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`worker ${slot} (platform ${d.platform}) was not attested and ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS))),
      ]);
    } catch (e) {
      this.abandon(slot);
      kill();
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** True once closed: its identities reveal nothing any more. */
  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.exec.close();
    await this.broker.close();
    await this.sim.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A listening failure, said with the `advertise:` it came from and what to do. */
function listenError(e: unknown, a: Advertise): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const where = a.where !== undefined ? ` (advertise, ${a.where})` : '';
  const port = typeof a.port === 'number' ? String(a.port) : `${a.port[0]}-${a.port[1]}`;
  if (code === 'EADDRNOTAVAIL') return new Error(`the master cannot listen on ${a.host}${where}: no interface of this machine has that address; advertise one it has (ip -brief address)`);
  if (code === 'EACCES') return new Error(`the master may not listen on ${a.host}:${port}${where}: ports below 1024 need privileges; advertise a higher port`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new Error(`the master cannot listen on ${a.host}${where}: the name does not resolve on this machine`);
  return new Error(`the master cannot listen on ${a.host}:${port}${where}: ${e instanceof Error ? e.message : String(e)}`);
}
