/**
 * Fuzz targets for every channel's framing and messages (docs/protocol.md
 * "Framing and limits"): byte streams into `streamChannel` (the framer must
 * never throw: it delivers or closes), and lines of each channel into its
 * validator and dispatch (accepted, or refused with a ProtocolError).
 */
import { PassThrough } from 'node:stream';
import { streamChannel } from '../../../src/protocol/channel.js';
import { validateGetRequest, validateGetResponse, validateSealedMasterToWorker, validateSealedWorkerToMaster } from '../../../src/protocol/data-port.js';
import { dispatch } from '../../../src/protocol/dispatch.js';
import { validateMasterToWorker, validateWorkerToMaster, type WorkerToMaster } from '../../../src/protocol/execution.js';
import { ProtocolError } from '../../../src/protocol/protocol-error.js';
import { parseMessage, type Validator } from '../../../src/protocol/schema.js';
import { validateProvisionerToBroker } from '../../../src/protocol/wcpac.js';
import type { FuzzTarget } from '../target.js';

const enc = (lines: readonly unknown[]) => new TextEncoder().encode(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

const assign = {
  type: 'assign',
  id: 'count[0]#1',
  label: 'count[0]',
  exec: { kind: 'command', argv: ['wc', '-l'], shell: false, env: { LC_ALL: 'C' }, globs: { n: 'n.txt' }, tools: { wc: { sha256: 'ab', path: '/usr/bin/wc' } } },
  inputs: { text: { class: 'File', path: '/r/in.txt.age', sha256: 'ab', size: 10 }, k: [1, 'x', null, { class: 'Sealed', age: '-----BEGIN AGE ENCRYPTED FILE-----' }] },
  outputs: [{ id: 'n', type: { kind: 'array', items: { kind: 'File' } }, optional: false }],
  threads: 1,
  memory: 512,
  scratchDir: '/r/s',
  outDir: '/r/o',
  logBase: '/r/l',
};
const SEEDS: Record<string, readonly unknown[]> = {
  provisioning: [{ type: 'attest', slot: 'local-1', challenge: 'AAAA', evidence: 'c2ltAAAA', x25519: 'AAAA', identity: 'MFkw' }, { type: 'clock-skew', time: 1765000000000 }],
  'worker-to-master': [
    { type: 'ready', pid: 1, host: 'h' },
    { type: 'started', id: 'a[0]#1', pgid: 12 },
    { type: 'succeeded', id: 'a[0]#1', outputs: { n: { class: 'File', path: '/o/n.txt', sha256: 'ab' }, m: [1, 2] }, exitStatus: 0, durationMs: 3, tools: [{ tool: 'wc', path: '/usr/bin/wc', sha256: 'ab', expected: 'ab' }] },
    { type: 'failed', id: 'a[0]#1', exitStatus: 1, signal: null, message: 'm', stderrTail: 't', durationMs: 1 },
    // §1.3 usage: valid, at the bounds, and just past them (the mutations find the rest)
    { type: 'succeeded', id: 'a[0]#1', outputs: {}, exitStatus: 0, durationMs: 3, usage: { cpuMs: 120, maxRssKiB: 102400, threads: 8 } },
    { type: 'failed', id: 'a[0]#1', exitStatus: 1, signal: null, message: 'm', stderrTail: '', durationMs: 1, usage: { cpuMs: 1099511627776, maxRssKiB: 0 } },
    { type: 'succeeded', id: 'a[0]#1', outputs: {}, exitStatus: 0, durationMs: 3, usage: { cpuMs: -1, maxRssKiB: 1e308, threads: 4194305, x: 1 } },
    { type: 'cancelled', id: 'a[0]#1' },
    { type: 'heartbeat', seq: 4 },
  ],
  'master-to-worker': [assign, { type: 'cancel', id: 'a[0]#1' }, { type: 'shutdown' }, { type: 'heartbeat', seq: 1, intervalMs: 1000, timeoutMs: 4000 }],
  'sealed-worker-to-master': [
    { type: 'ready', pid: 1, host: 'h', data: { host: '127.0.0.1', port: 4000 } },
    { type: 'transfer', id: 'a[0]#1', file: '/f.age', from: 'local-2', outcome: 'fallback', bytes: 0, ms: 2, reason: 'connect' },
    { type: 'sandbox-get' },
  ],
  'sealed-master-to-worker': [{ ...assign, sealed: { files: { '/r/in.txt.age': { sha256: 'ab', wrappedKey: 'AAAA', source: { host: 'h', port: 1, slot: 'local-2', id: '/r/9f', lazy: true } } }, keyShare: 'A'.repeat(43) + '=', recipients: ['age1abc'] } }, { type: 'revoked', serials: ['01AB'] }, { type: 'staged', id: 's[0]#1', file: '/r/a1', path: '/r/b2' }, { type: 'staged', id: 's[0]#1', file: '/r/a1', error: 'no' }, { type: 'sandbox', sealed: 'AAAA' }, { type: 'sandbox', sealed: '' }],
  'data-port': [{ type: 'get', id: '/f.age', sha256: 'ab' }, { type: 'ok', size: 10 }, { type: 'refused', reason: 'unknown-id' }],
};

const isOwnError = (e: unknown) => e instanceof ProtocolError;

/** Parses each line and dispatches it through a table that has a handler for every type the validator accepts. */
function messageTarget(seeds: string, validate: Validator<{ type: string }>, name = seeds): FuzzTarget {
  return {
    name: `channel-msg-${name}`,
    seeds: () => (SEEDS[seeds] ?? []).map((m) => enc([m])),
    isOwnError,
    run(input) {
      const text = Buffer.from(input).toString('utf8');
      for (const line of text.split('\n').filter((l) => l !== '')) {
        const msg = parseMessage(line, validate);
        // A type the validator let through is an own entry of a plain table (`__proto__` would not be: that would fail here).
        const table: Record<string, (m: unknown) => void> = {};
        table[msg.type] = () => undefined;
        dispatch(table as never, msg as never, () => {
          throw new Error(`validated message of type ${msg.type} found no handler`);
        });
      }
    },
  };
}

/** Bytes into a real stream channel, cut into chunks at positions the input itself decides; refused = closed with a ProtocolError. */
const frames: FuzzTarget = {
  name: 'channel-frames',
  seeds: () => [enc(SEEDS['worker-to-master'] ?? []), enc([{ type: 'valueOf' }]), new TextEncoder().encode('{"type":"ready"'.padEnd(600, 'x'))],
  isOwnError,
  run(input) {
    const stream = new PassThrough();
    let refused: ProtocolError | null = null;
    const ch = streamChannel<never, WorkerToMaster>(stream, new PassThrough(), { validate: validateWorkerToMaster, maxFrame: 512, name: 'fuzzed channel', onRefuse: (e) => (refused = e) });
    ch.onMessage((m) => {
      if (typeof m.type !== 'string') throw new Error('a message without a type was delivered');
    });
    const step = 1 + (input[0] ?? 0) % 17;
    for (let i = 0; i < input.length && refused === null; i += step) stream.emit('data', Buffer.from(input.subarray(i, i + step)));
    if (refused) throw refused;
  },
};

export const targets: FuzzTarget[] = [
  frames,
  messageTarget('provisioning', validateProvisionerToBroker),
  messageTarget('worker-to-master', validateWorkerToMaster),
  messageTarget('master-to-worker', validateMasterToWorker),
  messageTarget('sealed-worker-to-master', validateSealedWorkerToMaster),
  messageTarget('sealed-master-to-worker', validateSealedMasterToWorker),
  messageTarget('data-port', validateGetRequest, 'data-port-request'),
  messageTarget('data-port', validateGetResponse, 'data-port-response'),
];
