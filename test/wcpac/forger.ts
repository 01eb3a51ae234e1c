/**
 * A compromised attested worker on the real execution channel (docs/protocol.md
 * §16): it attests with forged sim evidence, connects to the executor port
 * with mTLS, receives one sealed assignment from the master's sealed channel
 * (the one the engine uses), and answers with whatever `succeeded` message the
 * test makes up. Also the files the master already holds: an owner input (to
 * the broker recipient) and another step's recorded intermediate (to the run
 * recipient).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BEGIN, END } from '../../src/crypto/armor.js';
import { encrypt } from '../../src/crypto/index.js';
import { readFileHeader } from '../../src/crypto/filekey.js';
import { bufferSource } from '../../src/crypto/io.js';
import type { Recipient } from '../../src/crypto/types.js';
import { sealedChannel } from '../../src/master/sealed-channel.js';
import { fileKeyOf } from '../../src/master/broker/file-keys.js';
import { ExecServer } from '../../src/master/broker/exec-server.js';
import { recordCiphertext } from '../../src/master/broker/release.js';
import { streamChannel, type Channel } from '../../src/protocol/channel.js';
import { validateSealedMasterToWorker } from '../../src/protocol/data-port.js';
import { MAX_FRAME_EXECUTION, type AssignMsg, type MasterToWorker, type WorkerToMaster } from '../../src/protocol/execution.js';
import type { Validator } from '../../src/protocol/schema.js';
import type { SealedAssignMsg } from '../../src/protocol/sealed.js';
import type { PortValue } from '../../src/workflow/model.js';
import { collect } from '../helpers/bytes.js';
import { execConnect, forgedWorker } from './exec-port.js';
import { setup, type Harness } from './harness.js';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The age encryption of `plain` to `to`. */
export async function ageBytes(to: Recipient, plain: string): Promise<Buffer> {
  return Buffer.from(await collect(encrypt([to], Buffer.from(plain))));
}

/** An age file in ASCII armor (what a sealed value carries). */
export function armored(bin: Uint8Array): string {
  const b64 = Buffer.from(bin).toString('base64');
  return `${BEGIN}\n${b64.match(/.{1,64}/g)?.join('\n') ?? ''}\n${END}\n`;
}

/** A file the master recorded, with what it recorded. */
export interface Recorded {
  readonly path: string;
  readonly bytes: Buffer;
  readonly sha256: string;
}

export interface Bench {
  readonly h: Harness;
  readonly es: ExecServer;
  /** An owner input, admitted (to the broker recipient), which every forger's step reads. */
  readonly ownerInput: Recorded;
  /** Another step's intermediate (to the run recipient), recorded with its key. */
  readonly otherOutput: Recorded;
  /** The run's secrets file as the master keeps it (to the broker recipient). */
  readonly runSecrets: string;
  close(): Promise<void>;
}

async function record(h: Harness, origin: 'input' | 'output', file: string, bytes: Buffer): Promise<Recorded> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  const { header } = await readFileHeader(bufferSource(bytes));
  const r = { path: file, bytes, sha256: sha256(bytes) };
  fileKeyOf(h.broker, file, r.sha256, header, origin, h.broker.opts.identities).fill(0);
  recordCiphertext(h.broker, origin, file, r.sha256, header);
  return r;
}

export async function bench(): Promise<Bench> {
  const h = await setup();
  const es = await ExecServer.start(h.broker);
  const ownerInput = await record(h, 'input', path.join(h.dir, 'owner', 'reads.fq.age'), await ageBytes(h.master.brokerIdentity.recipient(), 'owner input: secret reads'));
  const otherOutput = await record(h, 'output', path.join(h.dir, 'steps', 'other', '0', 'counts.tsv'), await ageBytes(h.runIdentity.recipient(), 'another step: secret counts'));
  const runSecrets = path.join(h.dir, 'run-secrets.age');
  await writeFile(runSecrets, await ageBytes(h.master.brokerIdentity.recipient(), 'AGE-SECRET-KEY-1RUNIDENTITY'));
  return {
    h, es, ownerInput, otherOutput, runSecrets,
    async close() {
      await es.close();
      await h.close();
    },
  };
}

export interface Forger {
  readonly slot: string;
  /** The attempt's id and the output directory the master assigned it (created, as an executor would). */
  readonly id: string;
  readonly outDir: string;
  /** The sealed assignment the forger received. */
  readonly assign: SealedAssignMsg;
  /** Sends a made-up `succeeded` and resolves with what the master's sealed channel delivered for it. */
  report(outputs: Readonly<Record<string, PortValue>>, id?: string): Promise<WorkerToMaster>;
  /** Sends any message as the worker. */
  send(msg: WorkerToMaster): void;
  /** Resolves with the first message the master's sealed channel delivered that `pick` accepts. */
  delivered(pick: (m: WorkerToMaster) => boolean): Promise<WorkerToMaster>;
  /** Everything the sealed channel delivered so far (what the engine would see). */
  readonly seen: readonly WorkerToMaster[];
  /** Resolves when the master has closed the forger's execution channel. */
  readonly closed: Promise<void>;
}

/** Attests `slot`, connects it and assigns it step `forge[n]` (input: the owner input; output port `out`, a file). */
export async function forger(b: Bench, n: number, workerPid?: number): Promise<Forger> {
  const slot = `local-${n}`;
  const { cred } = await forgedWorker(b.h, slot);
  const { socket } = await execConnect(b.h, b.es, cred);
  const client: Channel<WorkerToMaster, MasterToWorker> = streamChannel(socket, socket, {
    validate: validateSealedMasterToWorker as unknown as Validator<MasterToWorker>,
    maxFrame: MAX_FRAME_EXECUTION,
    name: 'forger execution channel',
  });
  const closed = new Promise<void>((r) => client.onClose(() => r()));
  const inner = await b.es.channel(slot);
  const master = sealedChannel(inner, {
    broker: b.h.broker,
    slot,
    recipients: [b.h.runIdentity.recipient().toString()],
    admit: async (p) => p, // the bench's files are recorded already
    teeOf: () => 'none',
    ...(workerPid !== undefined ? { workerPid } : {}),
  });
  const delivered: WorkerToMaster[] = [];
  const waiting: (() => void)[] = [];
  master.onMessage((m) => {
    delivered.push(m);
    for (const w of waiting.splice(0)) w();
  });
  const received = new Promise<SealedAssignMsg>((resolve) => client.onMessage((m) => (m.type === 'assign' ? resolve(m as SealedAssignMsg) : undefined)));
  const id = `forge[${n}]#1`;
  const outDir = path.join(b.h.dir, 'steps', 'forge', String(n));
  master.send({
    type: 'assign', id, label: `forge[${n}]`,
    exec: { kind: 'command', argv: ['true'], shell: false, env: {}, globs: { out: 'out.age' } },
    inputs: { reads: { class: 'File', path: b.ownerInput.path } },
    outputs: [{ id: 'out', type: { kind: 'file' }, optional: false }],
    threads: 1,
    scratchDir: path.join(b.h.dir, 'scratch', `forge.${n}.1`),
    outDir,
    logBase: path.join(b.h.dir, 'logs', 'forge', String(n)),
  } satisfies AssignMsg);
  const assign = await received;
  await mkdir(outDir, { recursive: true });
  const until = async (pick: (m: WorkerToMaster) => boolean): Promise<WorkerToMaster> => {
    for (;;) {
      const m = delivered.find(pick);
      if (m) return m;
      await new Promise<void>((r) => waiting.push(r));
    }
  };
  return {
    slot, id, outDir, assign, closed, seen: delivered,
    send: (msg) => client.send(msg),
    delivered: until,
    async report(outputs, attempt = id) {
      client.send({ type: 'succeeded', id: attempt, outputs, exitStatus: 0, durationMs: 1 });
      return until((x) => 'id' in x && x.id === attempt);
    },
  };
}
