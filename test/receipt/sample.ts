/** A receipt built from a journal and broker log like those of a run with one sim worker and one platform-none worker. */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { keyPin, loadMaster } from '../../src/crypto/master-key.js';
import type { BrokerDecision } from '../../src/master/broker/types.js';
import type { RunEvent } from '../../src/engine/events.js';
import { buildReceipt } from '../../src/master/receipt/build.js';
import type { Receipt } from '../../src/master/receipt/model.js';
import type { ReceiptSigner } from '../../src/master/receipt/signer.js';
import { sha256File } from '../../src/master/receipt/collect.js';
import { signReceipt } from '../../src/master/receipt/signature.js';

export function masterSigner(): ReceiptSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { signingKey: privateKey, publicKey, pin: keyPin(publicKey) };
}

const h = (c: string) => c.repeat(64);

export const EVENTS: RunEvent[] = [
  { type: 'run-started', t: 1_800_000_000_000, runId: 'r1', workflow: '/w/flow.yaml', name: 'wc', steps: ['count'], inputs: {}, concurrency: 2, keepGoing: false, pid: 1, host: 'm' },
  { type: 'worker-started', t: 1_800_000_000_100, worker: 'sim-1', deployment: 'sim', connector: 'local', platform: 'sim', host: 'm', pid: 2 },
  { type: 'worker-started', t: 1_800_000_000_100, worker: 'local-1', deployment: 'local', connector: 'local', platform: 'none', host: 'm', pid: 3 },
  { type: 'run-finished', t: 1_800_000_001_000, state: 'succeeded', outputs: {} },
];

/** Decisions as the broker journals them, plus fields that must never reach a receipt. */
export const DECISIONS: BrokerDecision[] = [
  {
    type: 'attestation',
    decision: 'accepted',
    slot: 'sim-1',
    deployment: 'sim',
    claims: { platform: 'sim', measurement: h('ab'), debug: false, tcbStatus: 'NotApplicable', simulated: true, details: { rootKeyFingerprint: h('cd') } },
    keys: { x25519: h('01'), identity: h('02') },
    bundleSha256: h('ee'),
    wrappedKey: 'AGE-SECRET-KEY-1SHOULDNEVERAPPEAR',
  } as BrokerDecision,
  { type: 'attestation', decision: 'refused', slot: 'sim-2', reason: 'measurement-not-allowed', message: 'no' },
  { type: 'key-release', decision: 'released', worker: 'sim-1', step: 'count[0]#1', files: [{ id: '/in/a.txt.age', sha256: h('aa') }], simulated: true, fileKey: 'c2VjcmV0LWZpbGUta2V5' } as BrokerDecision,
  { type: 'key-release', decision: 'refused', worker: 'sim-1', step: 'other[0]#1', reason: 'not-assigned', message: 'step other is not assigned' },
];

export function sampleReceipt(pin: string): Receipt {
  return buildReceipt({
    runId: 'r1',
    events: EVENTS,
    decisions: DECISIONS,
    pin,
    workflow: { file: 'flow.yaml', sha256: h('11') },
    policySha256: null,
    tasksSha256: h('22'),
    inputs: [{ name: 'text', file: 'a.txt.age', encrypted: true, ciphertextSha256: h('aa') }],
    outputs: [{ port: 'counts', path: 'counts.txt', sha256: h('33'), size: 10, encrypted: true }],
    values: ['total'],
    now: 1_800_000_002_000,
  });
}

/**
 * Writes receipt.json beside `output` (an encrypted file) as a run would: its
 * one output is `output` for port `port`, with the file's real SHA-256 and
 * size, signed by the local master of SEALFLOW_HOME `home` (plaintext keys).
 * Returns the receipt's path.
 */
export async function writeReceiptFor(home: string, output: string, port: string): Promise<string> {
  const { sha256, size } = await sha256File(output);
  const m = await loadMaster(path.join(home, 'master'), undefined);
  const receipt = buildReceipt({
    runId: 'r1',
    events: EVENTS,
    decisions: [],
    pin: m.pin,
    workflow: { file: 'flow.yaml', sha256: h('11') },
    policySha256: null,
    tasksSha256: null,
    inputs: [],
    outputs: [{ port, path: path.basename(output), sha256, size, encrypted: true }],
    values: [],
    now: Date.now(),
  });
  const file = path.join(path.dirname(output), 'receipt.json');
  fs.writeFileSync(file, signReceipt(receipt, m.signingKey, m.signingPublicKey));
  return file;
}
