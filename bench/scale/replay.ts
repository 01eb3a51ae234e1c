/**
 * Journal replay of a killed run, measured in this process: what a resumed
 * master does with the journal before its first new step, without starting
 * workers — load (read and parse journal.jsonl, the earlier successes) and
 * verify (open the run secrets with the master, then `restorePrior`: each
 * record's MAC, each output's SHA-256 and header, the key digests restored).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadMaster } from '../../src/crypto/master-key.js';
import { readJournal } from '../../src/engine/journal.js';
import { ContentHasher } from '../../src/engine/hash.js';
import { priorSuccesses } from '../../src/engine/run.js';
import { KeyBroker } from '../../src/master/broker/broker.js';
import { useDigestKey } from '../../src/master/broker/file-keys.js';
import { restorePrior } from '../../src/master/resume.js';
import { readRunSecrets, RUN_SECRETS_FILE } from '../../src/master/run-secrets.js';

export interface Replay {
  readonly events: number;
  readonly loadMs: number;
  readonly verifyMs: number;
  readonly reused: number;
}

export async function replayJournal(stateDir: string, runId: string): Promise<Replay> {
  const root = path.join(stateDir, 'runs', runId);
  const master = await loadMaster(path.join(process.env['SEALFLOW_HOME']!, 'master'), process.env['SEALFLOW_MASTER_PASSPHRASE']);
  const secrets = await readRunSecrets(path.join(root, RUN_SECRETS_FILE), master, runId);
  const t0 = performance.now();
  const { events } = readJournal(path.join(root, 'journal.jsonl'));
  const records = priorSuccesses(events);
  const t1 = performance.now();
  // A broker that never listens: only its records (hashes, origins, keys) are used.
  const broker = Object.assign(Object.create(KeyBroker.prototype) as KeyBroker, { hashes: new Map(), origins: new Map(), opts: { identities: { broker: master.brokerIdentity, run: secrets.runIdentity } } });
  useDigestKey(broker, secrets.hashKey);
  const hasher = new ContentHasher(secrets.hashKey);
  const r = await restorePrior(broker, records, (i, h, o, k) => hasher.outputsMac(i, h, o, k));
  const t2 = performance.now();
  return { events: events.length, loadMs: t1 - t0, verifyMs: t2 - t1, reused: r.prior.size };
}
