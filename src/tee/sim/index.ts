/**
 * Platform `sim`: the software stand-in for a TEE. NOT A TEE: the worker runs
 * as a plain process, its scratch is readable by its host, and its "evidence" is
 * signed by a root key that lives in the master's memory for one run.
 *
 * The launcher measures the provisioner and its launch configuration as it
 * starts them (measure.ts) and serves the worker's evidence on a Unix socket
 * in the worker's directory: the worker writes 64 bytes of report data and
 * reads sim evidence carrying the launcher's measurement — never one the
 * worker chose. (Any local process that can reach the socket could ask for
 * evidence too; that is one more reason sim is accepted only on the master's
 * own machine, where the policy allows simulation.)
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createSimEvidence } from '../../attestation/sim/format.js';
import type { Collateral } from '../../attestation/verifier.js';
import { parseLaunchConfig } from '../../protocol/launch-config.js';
import { allowedEnv, teeRefusal, type LaunchCommand, type LaunchSpec, type TeePlatform } from '../platform.js';
import { simMeasurement } from './measure.js';

export const SIM_WARNING = 'platform sim is NOT a TEE: nothing protected this worker from its host, and its scratch space was not protected memory (its host could read it)';

/** The per-run simulation root key (ECDSA P-384), in the master's memory only. */
export class SimRoot {
  readonly #key: KeyObject;
  constructor() {
    this.#key = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  }
  /** The collateral that verifies this run's sim evidence. */
  collateral(): Collateral {
    return { 'sim-root-key': Buffer.from(createPublicKey(this.#key).export({ type: 'spki', format: 'pem' }) as string) };
  }
  sign(runId: string, measurement: Uint8Array, reportData: Uint8Array): Uint8Array {
    return createSimEvidence(this.#key, { runId, measurement, reportData });
  }
}

export interface SimLaunch {
  /** Hex SHA-384 measurement of what was launched. */
  readonly measurement: string;
  readonly socket: string;
}

export class SimPlatform implements TeePlatform {
  readonly name = 'sim' as const;
  readonly isTee = false;
  readonly evidence = 'sim' as const;
  readonly launchNeeds = null;
  readonly #servers: net.Server[] = [];
  readonly launches: SimLaunch[] = [];

  constructor(
    readonly runId: string,
    readonly root: SimRoot,
  ) {}

  satisfies(req: Parameters<TeePlatform['satisfies']>[0], opts: Parameters<TeePlatform['satisfies']>[1]): boolean {
    return req === 'none' || opts.allowSimulation;
  }

  /**
   * `spec.program` is the provisioner and `spec.args[0]` its launch
   * configuration: both are measured now, and the evidence socket named by
   * the configuration is served in `spec.workDir`.
   */
  launch(spec: LaunchSpec): LaunchCommand {
    const configPath = spec.args[0];
    if (configPath === undefined) throw new TypeError('sim launch: the first argument must be the launch configuration');
    const configBytes = readFileSync(configPath);
    const config = parseLaunchConfig(configBytes.toString('utf8'));
    if (config.evidence.kind !== 'sim') throw new TypeError(`sim launch: the launch configuration asks for ${config.evidence.kind} evidence`);
    const measurement = simMeasurement(readFileSync(spec.program), configBytes);
    const socket = path.resolve(spec.workDir, config.evidence.socket);
    rmSync(socket, { force: true });
    const server = net.createServer((conn) => {
      const chunks: Buffer[] = [];
      let size = 0;
      conn.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64) conn.destroy();
        else chunks.push(c);
      });
      conn.on('end', () => {
        const rd = Buffer.concat(chunks);
        if (rd.length !== 64) return void conn.destroy();
        conn.end(Buffer.from(this.root.sign(this.runId, measurement, rd)));
      });
      conn.on('error', () => undefined);
    });
    server.listen(socket);
    this.#servers.push(server);
    this.launches.push({ measurement: measurement.toString('hex'), socket });
    return { command: process.execPath, args: ['--', spec.program, ...spec.args], env: allowedEnv(spec.env), cwd: spec.workDir };
  }

  refuses(step: Parameters<TeePlatform['refuses']>[0], opts: Parameters<TeePlatform['refuses']>[1]): string | null {
    return teeRefusal(this, step, opts);
  }

  /** Stops every evidence socket of this run. */
  async close(): Promise<void> {
    await Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.#servers.length = 0;
  }
}

/**
 * The `sim` entry of the platform registry (src/tee/index.ts): what the
 * engine checks before a run. Its workers are launched per run by the
 * attested session (src/master/), which holds the run's SimPlatform
 * and root key; this static entry launches nothing.
 */
export const simPlatformInfo: TeePlatform = {
  name: 'sim',
  isTee: false,
  evidence: 'sim',
  launchNeeds: null,
  satisfies: (req, opts) => req === 'none' || opts.allowSimulation,
  refuses(step, opts) {
    return teeRefusal(this, step, opts);
  },
  launch() {
    throw new Error('sim workers are launched by the attested session of their run (src/master/session.ts)');
  },
};
