/**
 * `sealflow receipt verify --ro-crate DIR` (docs/report.md, "Checking a crate
 * offline"): a crate is believed only as far as the signed receipt vouches for
 * it. The receipt (in the crate, or given with `--receipt`) must verify
 * against the master the receiver trusts (its pin); then every hash the crate
 * records must be one the receipt signs, in the place the receipt puts it:
 * the workflow, the bundles, the run's inputs and outputs, each action's
 * inputs (the file keys released for that attempt to that worker), and each
 * worker's platform, measurement and TCB status. Any changed hash fails.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { Receipt } from '../master/receipt/model.js';
import { ReceiptError, verifyReceiptBytes, type ExpectedMaster } from '../master/receipt/signature.js';
import { CRATE_METADATA, CRATE_RECEIPT, fileId } from './crate.js';

type Node = Record<string, unknown> & { '@id': string };

const ids = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => (typeof x === 'object' && x !== null && typeof (x as Node)['@id'] === 'string' ? (x as Node)['@id'] : `(not a reference: ${JSON.stringify(x)})`));
const types = (n: Node): string[] => (Array.isArray(n['@type']) ? (n['@type'] as unknown[]).map(String) : [String(n['@type'])]);

export interface CrateCheck {
  readonly receipt: Receipt;
  readonly actions: number;
  readonly files: number;
  readonly receiptInCrate: boolean;
}

function readGraph(dir: string): Map<string, Node> {
  const file = path.join(dir, CRATE_METADATA);
  if (!fs.existsSync(file)) throw new InputError(`--ro-crate ${dir}: no ${CRATE_METADATA} there (give the directory \`sealflow receipt export --ro-crate\` wrote)`);
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ReceiptError(`${file}: not a readable JSON file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const graph = (doc as { '@graph'?: unknown })?.['@graph'];
  if (!Array.isArray(graph)) throw new ReceiptError(`${file}: no @graph array: not an RO-Crate`);
  const g = new Map<string, Node>();
  for (const n of graph) {
    if (typeof n !== 'object' || n === null || typeof (n as Node)['@id'] !== 'string') throw new ReceiptError(`${file}: an entity without an @id`);
    if (g.has((n as Node)['@id'])) throw new ReceiptError(`${file}: entity ${(n as Node)['@id']} appears twice`);
    g.set((n as Node)['@id'], n as Node);
  }
  return g;
}

export function checkCrate(dir: string, expected: ExpectedMaster, receiptFile?: string): CrateCheck {
  const inCrate = path.join(dir, CRATE_RECEIPT);
  const receiptInCrate = fs.existsSync(inCrate);
  const file = receiptInCrate ? inCrate : receiptFile;
  if (file === undefined) throw new ReceiptError(`${dir} holds no ${CRATE_RECEIPT} (it would name the input files): give the run's receipt with --receipt FILE`);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new ReceiptError(`cannot read the receipt ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const r = verifyReceiptBytes(bytes, expected, file);
  const signature = (JSON.parse(bytes.toString('utf8')) as { signature: { value: string } }).signature.value;
  const g = readGraph(dir);
  const fail = (what: string) => new ReceiptError(`${path.join(dir, CRATE_METADATA)}: ${what}: the crate does not match the receipt signed by the master (pin ${r.master.pin})`);
  const receiptSha = createHash('sha256').update(bytes).digest('hex');

  const run = g.get(`#run-${r.run.id}`);
  if (!run || !types(run).includes('CreateAction')) throw fail(`no CreateAction #run-${r.run.id} for the receipt's run`);
  if (run['sealflowReceiptSha256'] !== receiptSha) throw fail(`the run names receipt SHA-256 ${String(run['sealflowReceiptSha256'])}, the receipt is ${receiptSha}`);
  if (run['sealflowReceiptSignature'] !== signature) throw fail('the receipt signature recorded in the crate is not the receipt\'s');
  if (run['sealflowMasterPin'] !== r.master.pin) throw fail(`master pin ${String(run['sealflowMasterPin'])} is not the receipt's`);
  const wfId = `#workflow-${r.workflow.sha256}`;
  if (ids(run['instrument'])[0] !== wfId || g.get(wfId)?.['sha256'] !== r.workflow.sha256) throw fail('the workflow is not the one the receipt hashes');

  const released = r.keyReleases.filter((k) => k.decision === 'released');
  const known = new Set<string>([
    r.workflow.sha256,
    receiptSha,
    ...[r.bundle.executorSha256, r.bundle.tasksSha256].filter((x): x is string => typeof x === 'string'),
    ...r.inputs.flatMap((i) => (i.ciphertextSha256 ? [i.ciphertextSha256] : [])),
    ...released.flatMap((k) => (k.files ?? []).map((f) => f.sha256)),
    ...r.outputs.map((o) => o.sha256),
  ]);
  let files = 0;
  for (const n of g.values()) {
    if (n['sha256'] === undefined) continue;
    const sha = n['sha256'];
    if (typeof sha !== 'string' || !known.has(sha)) throw fail(`${n['@id']} records SHA-256 ${String(sha)}, which the receipt does not sign`);
    if (n['@id'].startsWith('#ciphertext-') && n['@id'] !== fileId(sha)) throw fail(`${n['@id']} records SHA-256 ${sha}, not the one its id names`);
    if (n['@id'] === CRATE_RECEIPT && sha !== receiptSha) throw fail(`${CRATE_RECEIPT} is recorded with SHA-256 ${sha}, it is ${receiptSha}`);
    files++;
  }
  const shaOf = (id: string) => g.get(id)?.['sha256'];
  const sameSet = (a: readonly unknown[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
  if (!sameSet(ids(run['result']).map(shaOf), r.outputs.map((o) => o.sha256))) throw fail('the run\'s results are not the outputs the receipt lists');
  const inputShas = r.inputs.flatMap((i) => (i.ciphertextSha256 ? [i.ciphertextSha256] : []));
  const runInputs = ids(run['object']).filter((i) => !i.startsWith('#param-')).map(shaOf);
  if (!sameSet(runInputs, inputShas)) throw fail('the run\'s inputs are not the input ciphertexts the receipt lists');
  for (const [k, id] of [['sealflowExecutorBundle', r.bundle.executorSha256], ['sealflowTasksBundle', r.bundle.tasksSha256]] as const) {
    const got = ids(run[k])[0];
    if ((got === undefined ? null : shaOf(got)) !== (id ?? null)) throw fail(`${k} is not the bundle the receipt hashes`);
  }

  let actions = 0;
  for (const n of g.values()) {
    if (!types(n).includes('CreateAction') || n === run) continue;
    actions++;
    const w = r.workers.find((x) => x.id === n['sealflowWorker']);
    if (!w) throw fail(`${n['@id']} names worker ${String(n['sealflowWorker'])}, which the receipt does not list`);
    if (n['sealflowPlatform'] !== w.platform || (n['sealflowMeasurement'] ?? null) !== (w.claims?.measurement ?? null) || (n['sealflowTcbStatus'] ?? null) !== (w.claims?.tcbStatus ?? null)) {
      throw fail(`${n['@id']}: platform, measurement or TCB status of worker ${w.id} differ from the receipt's`);
    }
    const kr = released.find((k) => k.step === n['sealflowAttempt'] && k.worker === w.id);
    const objs = ids(n['object']).map(shaOf);
    const allowed = new Set((kr?.files ?? []).map((f) => f.sha256));
    if (!objs.every((s) => typeof s === 'string' && allowed.has(s))) throw fail(`${n['@id']}: its inputs are not the files whose keys the receipt says went to ${w.id} for ${String(n['sealflowAttempt'])}`);
  }
  return { receipt: r, actions, files, receiptInCrate };
}
