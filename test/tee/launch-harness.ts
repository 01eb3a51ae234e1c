/**
 * What the platform launch tests (launch, launch-occlum, launch-cvm) share:
 * a worker launched through the local connector the way a run launches it
 * (its slot's ticket, the stand-in toolchain first on PATH), a NODE_OPTIONS
 * payload that leaves a mark if node ever loads it, and the broker's
 * attestation decision for a slot.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { localConnector } from '../../src/connectors/local/index.js';
import type { WorkerExit } from '../../src/connectors/connector.js';
import type { BrokerDecision } from '../../src/master/broker/types.js';
import type { TeePlatform } from '../../src/tee/platform.js';
import type { Harness } from '../wcpac/harness.js';
import { HOSTILE_ENV } from './fixtures.js';
import type { StandIns } from './standins.js';

/** HOSTILE_ENV with a NODE_OPTIONS that `--require`s a script writing `marker` (in `work`): the marker must never appear. */
export function hostileNodeEnv(work: string): { env: Record<string, string>; marker: string } {
  const marker = path.join(work, 'evil-ran');
  const evil = path.join(work, 'evil.cjs');
  writeFileSync(evil, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'loaded');\n`);
  return { env: { ...HOSTILE_ENV, NODE_OPTIONS: `--require=${evil}` }, marker };
}

export type Attestation = Extract<BrokerDecision, { type: 'attestation' }>;

/** The broker's attestation decision for `slot`, if it made one. */
export function attestationOf(h: Harness, slot: string): Attestation | undefined {
  return h.decisions.find((d): d is Attestation => d.type === 'attestation' && d.slot === slot);
}

export interface LocalLaunch {
  readonly slot: string;
  readonly deployment: string;
  readonly platform: TeePlatform;
  /** The provisioner as the platform's launch names it. */
  readonly entry: string;
  /** Files shipped beside the executor bundle. */
  readonly files?: Readonly<Record<string, string>>;
  /** The provisioner's arguments, given the worker's directory (default: the broker's address, the slot, the shipped bundle). */
  readonly args?: (dir: string) => readonly string[];
  /** Variables over the run's environment (hostile ones, say). */
  readonly env?: Readonly<Record<string, string>>;
  readonly tools: StandIns;
  /** The local connector's base directory. */
  readonly work: string;
}

/** The provisioner's usual arguments for `slot`: the broker's address, the slot, the bundle shipped into `dir`. */
export function provisionerArgs(h: Harness, slot: string, dir: string): string[] {
  const { host, port } = h.broker.address;
  return [`${host}:${port}`, slot, path.join(dir, 'executor.bundle')];
}

/** Launches one worker through the local connector as a run does (§3a: the slot's launch ticket in its environment); resolves when it is gone. */
export async function launchLocal(h: Harness, o: LocalLaunch): Promise<WorkerExit> {
  const w = await localConnector.launch({
    runId: h.runId,
    slot: o.slot,
    deployment: o.deployment,
    options: {},
    platform: o.platform,
    program: { entry: o.entry, files: { ...o.files, 'executor.bundle': h.bundlePath }, args: o.args ?? ((dir) => provisionerArgs(h, o.slot, dir)) },
    env: { PATH: `${o.tools.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, SEALFLOW_TICKET: h.tickets.get(o.slot) ?? '', ...o.env },
    localBase: o.work,
  });
  return w.exited;
}
