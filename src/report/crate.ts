/**
 * `sealflow receipt export --ro-crate DIR` (docs/report.md, "Provenance as a
 * Workflow Run RO-Crate"): a Provenance Run Crate (profile 0.5) of one
 * succeeded run, built from its signed receipt and its journal, extended with
 * what only sealflow knows — per action, the worker's platform, measurement,
 * TCB status and evidence class — and the receipt's signature and master pin.
 *
 * By default the crate names the workflow and the executor bundle by hash and
 * files by a label (`input 1`, `count[2].o`) and their ciphertext SHA-256:
 * no file name, no parameter value, no task code. `--include-names` adds the
 * workflow's and the inputs' file names and the signed receipt itself (which
 * names them; with it the crate verifies on its own), `--include-values` the
 * non-file input values; both only with the owner identity.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../engine/events.js';
import type { Receipt, SignedReceipt } from '../master/receipt/model.js';
import { buildModel, type Attempt } from './model.js';

export const CRATE_METADATA = 'ro-crate-metadata.json';
export const CRATE_RECEIPT = 'receipt.json';
export const RO_CRATE_CONTEXT = 'https://w3id.org/ro/crate/1.1/context';
export const WFRUN_CONTEXT = 'https://w3id.org/ro/terms/workflow-run/context';
/** sealflow's own terms (not a resolvable vocabulary: a URN namespace). */
export const SEALFLOW_TERMS = 'urn:sealflow:terms#';
export const PROFILES = ['https://w3id.org/ro/wfrun/process/0.5', 'https://w3id.org/ro/wfrun/workflow/0.5', 'https://w3id.org/ro/wfrun/provenance/0.5', 'https://w3id.org/workflowhub/workflow-ro-crate/1.0'];

const SF_TERMS = ['platform', 'measurement', 'tcbStatus', 'evidenceClass', 'worker', 'receiptSignature', 'receiptSignatureAlgorithm', 'masterPin', 'masterPublicKey', 'receiptSha256', 'executorBundle', 'tasksBundle', 'session', 'attempt'] as const;

/** The crate's @context: RO-Crate 1.1, the workflow-run terms (sha256, resourceUsage), and sealflow's terms as `sealflow*`. */
export function crateContext(): unknown[] {
  return [RO_CRATE_CONTEXT, WFRUN_CONTEXT, Object.fromEntries(SF_TERMS.map((t) => [`sealflow${t[0]!.toUpperCase()}${t.slice(1)}`, `${SEALFLOW_TERMS}${t}`]))];
}

export interface ExportOptions {
  readonly includeNames?: boolean;
  readonly includeValues?: boolean;
  /** sealflow's version, for the engine entity. */
  readonly version?: string;
}

type Entity = Record<string, unknown> & { '@id': string; '@type': string | string[] };
const ref = (id: string) => ({ '@id': id });
const iso = (t: number) => new Date(t).toISOString();
export const fileId = (sha256: string) => `#ciphertext-${sha256}`;

/** A label for a receipt file id that names no file: `step[i].port` for a run file, else `input n` by the receipt's inputs. */
function labeler(r: Receipt): (id: string, sha256: string) => string {
  const inputs = r.inputs.filter((i) => i.ciphertextSha256 !== undefined);
  return (id, sha256) => {
    const m = /^run:steps\/([^/]+)\/(\d+)\/([A-Za-z_][\w-]*)\.age$/.exec(id);
    if (m) return `${m[1]}[${m[2]}].${m[3]}`;
    const k = inputs.findIndex((i) => i.ciphertextSha256 === sha256);
    return k >= 0 ? `input ${k + 1}` : 'file';
  };
}

/** The `receipt.json` text and the events of a run: the crate's metadata, and whether the receipt goes in. */
export function buildCrate(signed: SignedReceipt, receiptText: string, events: readonly RunEvent[], o: ExportOptions = {}): { metadata: object; withReceipt: boolean } {
  const r = signed.receipt;
  const model = buildModel(r.run.id, events);
  const label = labeler(r);
  const g = new Map<string, Entity>();
  const put = (e: Entity) => {
    const had = g.get(e['@id']);
    g.set(e['@id'], had ? { ...had, ...e } : e);
    return ref(e['@id']);
  };
  const file = (sha256: string, lbl: string, size?: number) =>
    put({ '@id': fileId(sha256), '@type': 'File', identifier: lbl, sha256, encodingFormat: 'application/octet-stream', description: 'an age v1 ciphertext, named by its SHA-256', ...(size !== undefined ? { contentSize: String(size) } : {}) });
  const sizes = new Map<string, number>(r.outputs.map((x) => [x.sha256, x.size]));

  const wfId = `#workflow-${r.workflow.sha256}`;
  const runId = `#run-${r.run.id}`;
  const steps = model.steps;
  // Tools and steps.
  const tools = steps.map((s, i) => {
    put({ '@id': `#step-${s}`, '@type': 'HowToStep', name: s, position: String(i + 1), workExample: ref(`#tool-${s}`) });
    return put({ '@id': `#tool-${s}`, '@type': 'SoftwareApplication', name: s });
  });
  put({
    '@id': wfId,
    '@type': ['File', 'SoftwareSourceCode', 'ComputationalWorkflow', 'HowTo'],
    name: o.includeNames ? r.workflow.file : `workflow ${r.workflow.sha256.slice(0, 16)}`,
    sha256: r.workflow.sha256,
    programmingLanguage: ref('#sealflow-workflow-language'),
    hasPart: tools,
    step: steps.map((s) => ref(`#step-${s}`)),
  });
  put({ '@id': '#sealflow-workflow-language', '@type': 'ComputerLanguage', name: 'sealflow workflow (YAML)' });
  const bundles: Record<string, unknown> = {};
  if (r.bundle.executorSha256) bundles['sealflowExecutorBundle'] = put({ '@id': `#executor-${r.bundle.executorSha256}`, '@type': 'SoftwareApplication', name: 'sealflow executor bundle (encrypted)', sha256: r.bundle.executorSha256 });
  if (r.bundle.tasksSha256) bundles['sealflowTasksBundle'] = put({ '@id': `#tasks-${r.bundle.tasksSha256}`, '@type': 'SoftwareApplication', name: 'the run\'s bundled TypeScript tasks', sha256: r.bundle.tasksSha256 });
  put({ '@id': '#sealflow', '@type': 'SoftwareApplication', name: 'sealflow', ...(o.version ? { version: o.version } : {}) });

  // Workers: one per receipt worker id (the receipt keeps the last session's claims per id).
  for (const w of r.workers) {
    const lane = model.lanes.find((l) => l.worker === w.id);
    const evidence = w.tee === 'attested' ? (model.attestations.find((a) => a.worker === w.id)?.evidence ?? 'hardware') : w.tee === 'simulated' ? 'simulated' : w.tee;
    put({
      '@id': `#worker-${w.id}`,
      '@type': 'SoftwareApplication',
      name: `worker ${w.id} (deployment ${w.deployment}, ${w.connector})`,
      sealflowPlatform: w.platform,
      sealflowEvidenceClass: evidence,
      ...(w.claims ? { sealflowMeasurement: w.claims.measurement, sealflowTcbStatus: w.claims.tcbStatus } : {}),
      description: w.statement,
      ...(lane?.job !== undefined ? { identifier: `job ${lane.job}` } : {}),
    });
  }

  // Inputs of the run.
  const inputs = r.inputs.flatMap((i, k) => (i.ciphertextSha256 ? [file(i.ciphertextSha256, `input ${r.inputs.slice(0, k).filter((x) => x.ciphertextSha256).length + 1}`)] : []));
  if (o.includeNames) for (const i of r.inputs) if (i.ciphertextSha256) g.set(fileId(i.ciphertextSha256), { ...g.get(fileId(i.ciphertextSha256))!, name: i.file });
  const values = o.includeValues ? paramValues(events, put) : [];
  const outputs = r.outputs.map((x) => file(x.sha256, `output ${x.port}`, x.size));

  // One CreateAction per step instance: the attempt whose outputs the run used.
  const released = r.keyReleases.filter((k) => k.decision === 'released');
  const known = new Set([...r.inputs.flatMap((i) => (i.ciphertextSha256 ? [i.ciphertextSha256] : [])), ...released.flatMap((k) => (k.files ?? []).map((f) => f.sha256)), ...r.outputs.map((x) => x.sha256)]);
  const used = lastSuccess(model.attempts);
  const controls: { '@id': string }[] = [];
  for (const a of used) {
    const key = `${a.step}[${a.index}]#${a.attempt}`;
    const lane = model.lanes[a.lane];
    const kr = released.find((k) => k.step === key && k.worker === lane?.worker);
    const objs = (kr?.files ?? []).map((f) => file(f.sha256, label(f.id, f.sha256), sizes.get(f.sha256)));
    const results = resultHashes(events, a).filter((h) => known.has(h.sha256)).map((h) => file(h.sha256, `${a.step}[${a.index}].${h.port}`, h.size));
    const w = r.workers.find((x) => x.id === lane?.worker);
    const id = `#action-${a.step}-${a.index}`;
    put({
      '@id': id,
      '@type': 'CreateAction',
      name: `run of step ${a.step}[${a.index}], attempt ${a.attempt}`,
      instrument: ref(`#tool-${a.step}`),
      object: objs,
      result: results,
      startTime: iso(a.start),
      ...(a.end !== undefined ? { endTime: iso(a.end) } : {}),
      actionStatus: ref('http://schema.org/CompletedActionStatus'),
      sealflowAttempt: key,
      sealflowSession: String(a.session),
      ...(w ? { agent: ref(`#worker-${w.id}`), sealflowWorker: w.id, sealflowPlatform: w.platform, sealflowEvidenceClass: g.get(`#worker-${w.id}`)?.['sealflowEvidenceClass'], ...(w.claims ? { sealflowMeasurement: w.claims.measurement, sealflowTcbStatus: w.claims.tcbStatus } : {}) } : {}),
    });
    controls.push(put({ '@id': `#control-${a.step}-${a.index}`, '@type': 'ControlAction', name: `orchestration of step ${a.step}[${a.index}]`, instrument: ref(`#step-${a.step}`), object: ref(id), actionStatus: ref('http://schema.org/CompletedActionStatus') }));
  }
  const sig = signed.signature;
  put({
    '@id': runId,
    '@type': 'CreateAction',
    name: `sealflow run ${r.run.id}`,
    instrument: ref(wfId),
    object: [...inputs, ...values],
    result: outputs,
    startTime: r.run.startedAt,
    endTime: r.run.finishedAt,
    actionStatus: ref('http://schema.org/CompletedActionStatus'),
    ...bundles,
    sealflowMasterPin: r.master.pin,
    sealflowMasterPublicKey: sig.publicKey,
    sealflowReceiptSignature: sig.value,
    sealflowReceiptSignatureAlgorithm: `${sig.algorithm} ${sig.encoding}`,
    sealflowReceiptSha256: createHash('sha256').update(receiptText).digest('hex'),
  });
  put({ '@id': '#engine-run', '@type': 'OrganizeAction', name: `sealflow master, ${r.run.sessions} session(s)`, instrument: ref('#sealflow'), result: ref(runId), object: controls, startTime: r.run.startedAt, endTime: r.run.finishedAt, actionStatus: ref('http://schema.org/CompletedActionStatus') });
  for (const p of PROFILES) put({ '@id': p, '@type': 'CreativeWork', name: p.includes('workflowhub') ? 'Workflow RO-Crate' : `${p.split('/').slice(-2, -1)[0]} Run Crate`, version: p.split('/').pop() as string });
  const withReceipt = o.includeNames === true;
  const parts: { '@id': string }[] = [ref(wfId)];
  if (withReceipt) {
    parts.push(put({ '@id': CRATE_RECEIPT, '@type': 'File', name: 'the run receipt, signed by the master', encodingFormat: 'application/json', sha256: createHash('sha256').update(receiptText).digest('hex'), contentSize: String(Buffer.byteLength(receiptText)) }));
  }
  const root: Entity = {
    '@id': './',
    '@type': 'Dataset',
    name: `sealflow run ${r.run.id} (${r.run.name})`,
    description: 'Provenance of a sealflow run: which step ran where, in which TEE with which measurement and evidence, on which ciphertexts (by SHA-256). Built from the run receipt signed by the master; check it with `sealflow receipt verify --ro-crate DIR`.',
    datePublished: r.run.finishedAt,
    license: ref('http://spdx.org/licenses/CC0-1.0'),
    conformsTo: PROFILES.map(ref),
    mainEntity: ref(wfId),
    hasPart: parts,
    mentions: ref(runId),
  };
  const meta: Entity = { '@id': CRATE_METADATA, '@type': 'CreativeWork', conformsTo: ref('https://w3id.org/ro/crate/1.1'), about: ref('./') };
  return { metadata: { '@context': crateContext(), '@graph': [meta, root, ...g.values()] }, withReceipt };
}

/** Non-file workflow input values as PropertyValues (only with --include-values): as the journal recorded them. */
function paramValues(events: readonly RunEvent[], put: (e: Entity) => { '@id': string }): { '@id': string }[] {
  const s = events.find((e) => e.type === 'run-started');
  if (s?.type !== 'run-started') return [];
  return Object.entries(s.inputs)
    .filter(([, v]) => typeof v !== 'object' || v === null || Array.isArray(v))
    .map(([k, v]) => put({ '@id': `#param-${k}`, '@type': 'PropertyValue', name: k, value: typeof v === 'string' ? v : JSON.stringify(v) }));
}

/** Per step instance, its last succeeded attempt (the one whose outputs the run used). */
function lastSuccess(attempts: readonly Attempt[]): Attempt[] {
  const by = new Map<string, Attempt>();
  for (const a of attempts) if (a.state === 'succeeded') by.set(`${a.step}[${a.index}]`, a);
  return [...by.values()];
}

/** The output files of an attempt as its `step-succeeded` journalled them: port, SHA-256, size. */
function resultHashes(events: readonly RunEvent[], a: Attempt): { port: string; sha256: string; size?: number }[] {
  let hit: RunEvent | undefined;
  let session = 0;
  for (const e of events) {
    if (e.type === 'run-started' || e.type === 'run-resumed') session++;
    if (session === a.session && e.type === 'step-succeeded' && e.step === a.step && e.index === a.index && e.attempt === a.attempt) hit = e;
  }
  if (hit?.type !== 'step-succeeded') return [];
  const out: { port: string; sha256: string; size?: number }[] = [];
  for (const [port, v] of Object.entries(hit.outputs)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      const f = x as { sha256?: unknown; size?: unknown } | null;
      if (f && typeof f.sha256 === 'string') out.push({ port, sha256: f.sha256, ...(typeof f.size === 'number' ? { size: f.size } : {}) });
    }
  }
  return out;
}

/** Writes the crate into `dir` (created; it must not exist or be empty): 0600 when it holds names or values, else 0644. */
export function writeCrate(dir: string, metadata: object, receiptText: string | null, secret: boolean): void {
  fs.mkdirSync(dir, { recursive: true });
  if (fs.readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
  const mode = secret ? 0o600 : 0o644;
  if (receiptText !== null) fs.writeFileSync(path.join(dir, CRATE_RECEIPT), receiptText, { mode });
  fs.writeFileSync(path.join(dir, CRATE_METADATA), `${JSON.stringify(metadata, null, 2)}\n`, { mode });
}
