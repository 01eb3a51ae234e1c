/**
 * docs/protocol.md "Framing and limits": every channel's messages are
 * checked against one spec per message type before a handler sees them,
 * and dispatch looks only at the handler table's own entries.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { ipcChannel, streamChannel, type IpcEndpoint } from '../../src/protocol/channel.js';
import { validateGetRequest, validateGetResponse, validateSealedMasterToWorker, validateSealedWorkerToMaster } from '../../src/protocol/data-port.js';
import { dispatch, type Handlers } from '../../src/protocol/dispatch.js';
import { MAX_FRAME_EXECUTION, validateMasterToWorker, validateWorkerToMaster, type MasterToWorker, type WorkerToMaster } from '../../src/protocol/execution.js';
import { ProtocolError } from '../../src/protocol/protocol-error.js';
import { checkMessage, MAX_DEPTH, parseMessage, type Validator } from '../../src/protocol/schema.js';
import { validateProvisionerToBroker } from '../../src/protocol/wcpac.js';

export const INHERITED = ['valueOf', 'hasOwnProperty', 'toLocaleString', '__proto__', 'constructor', 'toString', 'isPrototypeOf', 'propertyIsEnumerable', '__defineGetter__'];

const VALIDATORS: Record<string, Validator<unknown>> = {
  'provisioner → broker': validateProvisionerToBroker,
  'worker → master': validateWorkerToMaster,
  'master → worker': validateMasterToWorker,
  'attested worker → master': validateSealedWorkerToMaster,
  'master → attested worker': validateSealedMasterToWorker,
  'data port request': validateGetRequest,
  'data port response': validateGetResponse,
};

const assign = {
  type: 'assign',
  id: 'count[0]#1',
  label: 'count[0]',
  exec: { kind: 'command', argv: ['wc', '-l'], shell: false, env: {}, globs: { n: 'n.txt' } },
  inputs: { text: { class: 'File', path: '/r/in.txt', sha256: 'ab' } },
  outputs: [{ id: 'n', type: { kind: 'File' }, optional: false }],
  threads: 1,
  scratchDir: '/r/s',
  outDir: '/r/o',
  logBase: '/r/l',
};

describe('"Framing and limits": message schemas and dispatch', () => {
  test('dispatch treats every name all objects inherit as an unknown type and calls no handler', () => {
    const seen: string[] = [];
    const handlers: Handlers<MasterToWorker> = { assign: () => seen.push('assign'), cancel: () => seen.push('cancel'), shutdown: () => seen.push('shutdown'), heartbeat: () => seen.push('heartbeat') };
    for (const name of INHERITED) {
      let unknown: unknown = null;
      // The old lookup `handlers[msg.type]` threw on valueOf / hasOwnProperty / toLocaleString and called constructor / toString.
      dispatch(handlers, JSON.parse(`{"type":${JSON.stringify(name)}}`) as MasterToWorker, (m) => (unknown = m));
      assert.deepEqual(unknown, { type: name }, name);
    }
    assert.deepEqual(seen, []);
  });

  test('every channel validator refuses every inherited name as a message type', () => {
    for (const [channel, v] of Object.entries(VALIDATORS)) {
      for (const name of INHERITED) {
        const r = v(JSON.parse(`{"type":${JSON.stringify(name)}}`));
        assert.equal(typeof r, 'string', `${channel}: ${name}`);
        assert.match(r as string, /^unknown message type/, `${channel}: ${name}`);
      }
    }
  });

  test('well-formed messages of each channel pass unchanged', () => {
    const ok: [Validator<unknown>, unknown][] = [
      [validateProvisionerToBroker, { type: 'attest', slot: 's-1', challenge: 'AA==', evidence: '', x25519: 'AA==', identity: 'AA==' }],
      [validateMasterToWorker, assign],
      [validateMasterToWorker, { type: 'heartbeat', seq: 3, intervalMs: 1000, timeoutMs: 4000 }],
      [validateWorkerToMaster, { type: 'succeeded', id: 'a', outputs: { n: 3, f: { class: 'File', path: '/x' } }, exitStatus: 0, durationMs: 5, tools: [{ tool: 'wc', path: '/usr/bin/wc', sha256: 'ab' }] }],
      [validateWorkerToMaster, { type: 'failed', id: 'a', exitStatus: null, signal: 'SIGKILL', message: 'm', stderrTail: '', durationMs: 1 }],
      [validateSealedWorkerToMaster, { type: 'ready', pid: 1, host: 'h', data: { host: '127.0.0.1', port: 4000 } }],
      [validateSealedWorkerToMaster, { type: 'transfer', id: 'a', file: '/f', from: 's-2', outcome: 'fallback', bytes: 0, ms: 1, reason: 'connect' }],
      [validateSealedMasterToWorker, { ...assign, sealed: { files: { '/r/in.txt': { sha256: 'ab', wrappedKey: 'AA==', source: { host: 'h', port: 1, slot: 's-2' } } }, recipients: ['age1x'] } }],
      [validateSealedMasterToWorker, { type: 'revoked', serials: ['01'] }],
      [validateSealedWorkerToMaster, { type: 'sandbox-get' }],
      [validateSealedMasterToWorker, { type: 'sandbox', sealed: 'AAAA' }],
      [validateGetResponse, { type: 'ok', size: 10 }],
    ];
    for (const [v, m] of ok) assert.equal(v(m), m, JSON.stringify(m));
  });

  test('wrong shapes and wrong field types are refused with the message type and the field named', () => {
    const cases: [Validator<unknown>, unknown, RegExp][] = [
      [validateProvisionerToBroker, [1, 2], /not a JSON object/],
      [validateProvisionerToBroker, { type: 7 }, /no string field "type"/],
      [validateProvisionerToBroker, { type: 'attest', slot: 5, challenge: '', evidence: '', x25519: '', identity: '' }, /^attest message: field slot is not a string$/],
      [validateProvisionerToBroker, { type: 'attest' }, /^attest message: has no field "slot"$/],
      [validateMasterToWorker, { ...assign, exec: { ...assign.exec, argv: ['wc', 1] } }, /^assign message: field exec.argv\[1\] is not a string$/],
      [validateMasterToWorker, { ...assign, exec: { kind: 'rocket' } }, /^assign message: field exec.kind is not one of command, task, cwl$/],
      [validateWorkerToMaster, { type: 'started', id: 'a', pgid: 1.5 }, /field pgid is not an integer/],
      [validateWorkerToMaster, { type: 'cancelled', id: 'a', extra: true }, /unexpected field "extra"/],
      [validateWorkerToMaster, { type: 'succeeded', id: 'a', outputs: JSON.parse('{"__proto__":{"polluted":1}}'), exitStatus: 0, durationMs: 1 }, /has the key "__proto__"/],
      [validateGetResponse, { type: 'ok', size: -1 }, /field size is not an integer ≥ 0/],
      [validateSealedWorkerToMaster, { type: 'sandbox-get', want: 'again' }, /^sandbox-get message: has an unexpected field "want"$/],
      [validateSealedMasterToWorker, { type: 'sandbox', sealed: 7 }, /^sandbox message: field sealed is not a string$/],
      [validateSealedMasterToWorker, { type: 'sandbox' }, /^sandbox message: has no field "sealed"$/],
    ];
    for (const [v, m, re] of cases) assert.match(String(v(m)), re, JSON.stringify(m));
  });

  test('a frame of nested brackets is refused by one linear scan before JSON.parse builds it, and brackets inside strings do not count', () => {
    const frame = Buffer.from('{"type":"succeeded","id":"a","outputs":{"x":' + '['.repeat(1_000_000) + ']'.repeat(1_000_000) + '},"exitStatus":0,"durationMs":1}');
    const parse = JSON.parse;
    let parsed = 0;
    JSON.parse = ((t: string) => (parsed++, parse(t))) as typeof JSON.parse;
    try {
      assert.throws(() => parseMessage(frame, validateWorkerToMaster), (e) => e instanceof ProtocolError && e.reason === 'invalid-message' && /nested more than/.test(e.message));
    } finally {
      JSON.parse = parse;
    }
    assert.equal(parsed, 0, 'JSON.parse never saw the frame');
    const inString = parseMessage(JSON.stringify({ type: 'heartbeat', seq: 1 }).replace('}', '') + ',"x":"' + '[{'.repeat(100) + '\\"[["}', (x) => x as never);
    assert.equal((inString as { x: string }).x, `${"[{".repeat(100)}"[[`);
  });

  test('port values nested deeper than the limit are refused, so no later walk can overflow the stack', () => {
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000)) as unknown;
    const r = validateWorkerToMaster({ type: 'succeeded', id: 'a', outputs: { x: deep }, exitStatus: 0, durationMs: 1 });
    assert.match(String(r), /nested too deeply/);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_DEPTH - 4; i++) ok = [ok];
    assert.notEqual(typeof validateWorkerToMaster({ type: 'succeeded', id: 'a', outputs: { x: ok }, exitStatus: 0, durationMs: 1 }), 'string');
  });

  test('parseMessage throws only ProtocolError: malformed-json for a line that is not JSON, invalid-message for the rest', () => {
    assert.throws(() => parseMessage('{"type":', validateWorkerToMaster), (e: unknown) => e instanceof ProtocolError && e.reason === 'malformed-json');
    assert.throws(() => parseMessage('{"type":"valueOf"}', validateWorkerToMaster), (e: unknown) => e instanceof ProtocolError && e.reason === 'invalid-message');
    assert.throws(() => checkMessage(null, validateWorkerToMaster), (e: unknown) => e instanceof ProtocolError && e.reason === 'invalid-message');
  });

  test('a stream channel closes on a message of an inherited type and no handler sees it', async () => {
    const input = new PassThrough();
    const refused: ProtocolError[] = [];
    const ch = streamChannel<MasterToWorker, WorkerToMaster>(input, new PassThrough(), { validate: validateWorkerToMaster, maxFrame: MAX_FRAME_EXECUTION, onRefuse: (e) => refused.push(e) });
    const seen: unknown[] = [];
    ch.onMessage((m) => seen.push(m));
    const closed = new Promise<string>((resolve) => ch.onClose(resolve));
    input.write('{"type":"heartbeat","seq":1}\n{"type":"__proto__"}\n{"type":"heartbeat","seq":2}\n');
    assert.match(await closed, /protocol error \(invalid-message\): unknown message type "__proto__"/);
    assert.deepEqual(seen, [{ type: 'heartbeat', seq: 1 }], 'the message before is delivered, nothing after');
    assert.deepEqual(refused.map((e) => e.reason), ['invalid-message']);
  });

  test('an IPC channel checks shapes too: a wrong-shape message disconnects it with a protocol error', async () => {
    const ep = new EventEmitter() as EventEmitter & IpcEndpoint & { connected: boolean };
    let disconnected = false;
    Object.assign(ep, { connected: true, send: () => true, disconnect: () => ((disconnected = true), (ep.connected = false)) });
    const ch = ipcChannel<WorkerToMaster, MasterToWorker>(ep, { validate: validateMasterToWorker });
    const seen: unknown[] = [];
    ch.onMessage((m) => seen.push(m));
    const closed = new Promise<string>((resolve) => ch.onClose(resolve));
    ep.emit('message', { type: 'cancel', id: 42 });
    assert.match(await closed, /protocol error \(invalid-message\): cancel message: field id is not a string/);
    assert.ok(disconnected);
    assert.deepEqual(seen, []);
  });
});
