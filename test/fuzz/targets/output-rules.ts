/**
 * Fuzz targets for the output rules (docs/protocol.md §16): what a worker
 * reports as its outputs reaches the master from a possibly compromised
 * worker. `output-path` feeds the lexical path check arbitrary strings;
 * `succeeded-outputs` feeds the whole vetting of a `succeeded` message's
 * outputs (JSON) against a real output directory holding one honest output
 * and a master that recorded another step's output. Each input must be
 * accepted or refused with an ReportRefusal — never crash, hang or read
 * outside the directory.
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encrypt } from '../../../src/crypto/index.js';
import { X25519Identity } from '../../../src/crypto/x25519.js';
import { attemptOutDir, checkOutputPath, ReportRefusal } from '../../../src/master/output-rules.js';
import { recordOutputs, type AssignedAttempt } from '../../../src/master/record-output.js';
import type { KeyBroker } from '../../../src/master/broker/broker.js';
import type { SucceededMsg } from '../../../src/protocol/execution.js';
import { collect } from '../../helpers/bytes.js';
import type { FuzzTarget } from '../target.js';

const OUT_DIR = '/srv/run/steps/count/0';
const isOwnError = (e: unknown): boolean => e instanceof ReportRefusal;
const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** A master side for the vetting target, made once: a fresh output directory and broker records per input would only slow the fuzzing. */
let world: Promise<{ broker: KeyBroker; attempt: AssignedAttempt; honest: string; sha: string }> | undefined;

function makeWorld() {
  return (world ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sealflow-fuzz-outputs-'));
    const outDir = path.join(dir, 'steps', 'count', '0');
    mkdirSync(outDir, { recursive: true });
    const run = X25519Identity.generate();
    const honest = path.join(outDir, 'counts.tsv.age');
    const bytes = Buffer.from(await collect(encrypt([run.recipient()], Buffer.from('word\t1\n'))));
    writeFileSync(honest, bytes);
    const { createHash } = await import('node:crypto');
    // Only what the vetting reads of a broker: its records and its identities.
    const broker = { hashes: new Map(), origins: new Map(), opts: { identities: { broker: X25519Identity.generate(), run } } } as unknown as KeyBroker;
    return { broker, attempt: { dir: await attemptOutDir(outDir), ports: new Set(['counts', 'n']) }, honest, sha: createHash('sha256').update(bytes).digest('hex') };
  })());
}

export const targets: FuzzTarget[] = [
  {
    name: 'output-path',
    seeds: () => [`${OUT_DIR}/counts.tsv.age`, `${OUT_DIR}/sub/a.age`, `${OUT_DIR}/../1/x.age`, '/dev/zero', 'relative.age', `${OUT_DIR}//x`].map(utf8),
    run: (input) => checkOutputPath(OUT_DIR, Buffer.from(input).toString('utf8')),
    isOwnError,
  },
  {
    name: 'succeeded-outputs',
    seeds: async () => {
      const w = await makeWorld();
      const f = { class: 'File', path: w.honest, sha256: w.sha };
      return [{ counts: f }, { counts: [f, f] }, { counts: f, n: { class: 'Sealed', age: '-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n' } }, { counts: { class: 'File', path: '/dev/zero', sha256: w.sha } }].map((o) => utf8(JSON.stringify(o)));
    },
    run: async (input) => {
      const w = await makeWorld();
      let outputs: unknown;
      try {
        outputs = JSON.parse(Buffer.from(input).toString('utf8'));
      } catch {
        return; // not JSON: the channel's framing refuses it before any handler sees it
      }
      // A fresh broker record per input, so an accepted honest output does not make the next one a "copy".
      const broker = { ...w.broker, hashes: new Map(), origins: new Map() } as unknown as KeyBroker;
      const m = { type: 'succeeded', id: 'count[0]#1', outputs, exitStatus: 0, durationMs: 1 } as SucceededMsg;
      await recordOutputs(broker, m, w.attempt);
    },
    isOwnError,
  },
];
