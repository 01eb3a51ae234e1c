/**
 * What a resumed master believes of a journal's `step-succeeded` records
 * (docs/protocol.md §13.2, §16.3): the journal is a plain file anyone with
 * access to the run directory can edit, and a record it reuses restores
 * ciphertext hashes and the seen file-key digests. Each input journal goes
 * through parseJournal, priorSuccesses and restorePrior against a real
 * output file and the run's hash key. restorePrior never throws (a record
 * it cannot vouch for is "not reused"), and a reused record must be, in
 * every field the MAC covers, the one the master wrote: anything else is a
 * failure of this target.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../../../src/master/receipt/canonical.js';
import { encrypt } from '../../../src/crypto/index.js';
import { readFileHeader } from '../../../src/crypto/filekey.js';
import { bufferSource } from '../../../src/crypto/io.js';
import { unwrapFileKey } from '../../../src/crypto/unwrap.js';
import { X25519Identity } from '../../../src/crypto/x25519.js';
import { ContentHasher } from '../../../src/engine/hash.js';
import { parseJournal } from '../../../src/engine/journal.js';
import { priorSuccesses } from '../../../src/engine/run.js';
import type { KeyBroker } from '../../../src/master/broker/broker.js';
import { useDigestKey } from '../../../src/master/broker/file-keys.js';
import { restorePrior } from '../../../src/master/resume.js';
import { collect } from '../../helpers/bytes.js';
import type { FuzzTarget } from '../target.js';

const HASH_KEY = Buffer.alloc(32, 7);
const hasher = new ContentHasher(HASH_KEY);
const macOf = (i: string, h: string, o: unknown, k?: unknown) => hasher.outputsMac(i, h, o, k);

interface World {
  readonly run: X25519Identity;
  readonly journal: Uint8Array;
  /** The one record a resume may reuse, as the master wrote it (canonical JSON of what the MAC covers). */
  readonly honest: string;
}

let world: Promise<World> | undefined;

/** The fuzz runner's batches run in child processes: they share the parent's world (its directory, through the environment). */
const WORLD_ENV = 'SEALFLOW_FUZZ_RESUME_WORLD';

async function createWorld(dir: string): Promise<void> {
  const out = path.join(dir, 'steps', 't', '0', 'o');
  mkdirSync(path.dirname(out), { recursive: true });
  const run = X25519Identity.generate();
  const bytes = Buffer.from(await collect(encrypt([run.recipient()], Buffer.from('an intermediate\n'))));
  writeFileSync(out, bytes);
  const key = unwrapFileKey((await readFileHeader(bufferSource(bytes))).header, [run]);
  const dk = Buffer.from(hkdfSync('sha256', HASH_KEY, Buffer.alloc(0), 'sealflow file-key digests v1', 32));
  const outputs = { o: { class: 'File', path: out, sha256: createHash('sha256').update(bytes).digest('hex') } };
  const keyDigests = { [out]: createHmac('sha256', dk).update(key).digest('hex') };
  const outputsMac = macOf('t[0]', 'h0', outputs, keyDigests)!;
  const events = [
    { type: 'run-started', t: 1, runId: 'R', workflow: '/w/flow.yaml', name: 'w', steps: ['t'], inputs: {}, concurrency: 2, keepGoing: false, pid: 1, host: 'h' },
    { type: 'step-started', t: 2, step: 't', index: 0, attempt: 1, worker: 'local-1', host: 'h', hash: 'h0' },
    { type: 'step-succeeded', t: 3, step: 't', index: 0, attempt: 1, hash: 'h0', outputs, outputsMac, keyDigests, exitStatus: 0, durationMs: 1 },
    { type: 'step-succeeded', t: 4, step: 't', index: 1, attempt: 1, hash: 'h1', outputs, outputsMac, keyDigests, exitStatus: 0, durationMs: 1 },
  ];
  writeFileSync(path.join(dir, 'journal.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  writeFileSync(path.join(dir, 'honest.json'), canonicalJson({ instance: 't[0]', hash: 'h0', outputs, keyDigests }));
  writeFileSync(path.join(dir, 'run-identity'), run.toString(), { mode: 0o600 });
}

function makeWorld(): Promise<World> {
  return (world ??= (async () => {
    let dir = process.env[WORLD_ENV];
    if (dir === undefined || !existsSync(path.join(dir, 'run-identity'))) {
      const made = mkdtempSync(path.join(os.tmpdir(), 'sealflow-fuzz-resume-'));
      await createWorld(made);
      process.env[WORLD_ENV] = dir = made;
      process.on('exit', () => rmSync(made, { recursive: true, force: true }));
    }
    const run = X25519Identity.tryParse(readFileSync(path.join(dir, 'run-identity'), 'utf8'));
    if (!run) throw new Error(`${dir}/run-identity: not an identity`);
    return { run, journal: readFileSync(path.join(dir, 'journal.jsonl')), honest: readFileSync(path.join(dir, 'honest.json'), 'utf8') };
  })());
}

export const targets: FuzzTarget[] = [
  {
    name: 'resume-records',
    seeds: async () => [(await makeWorld()).journal],
    run: async (input) => {
      const w = await makeWorld();
      const broker = { hashes: new Map(), origins: new Map(), opts: { identities: { broker: X25519Identity.generate(), run: w.run } } } as unknown as KeyBroker;
      useDigestKey(broker, HASH_KEY);
      const r = await restorePrior(broker, priorSuccesses(parseJournal(Buffer.from(input)).events), macOf);
      for (const [instance, p] of r.prior) {
        let seen: string;
        try {
          seen = canonicalJson({ instance, hash: p.hash, outputs: p.outputs, keyDigests: p.keyDigests });
        } catch {
          seen = '(not canonical JSON)';
        }
        if (seen !== w.honest) throw new Error(`resume reused a record the master did not write: ${seen.slice(0, 300)}`);
      }
      return r.prior.size;
    },
    isOwnError: () => false, // restorePrior refuses by not reusing, never by throwing
  },
];
