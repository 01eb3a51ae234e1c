/**
 * The receipt at the end of a successful run (DESIGN.md step 6): prepared
 * before the run starts (signing key loaded, the workflow hashed and the
 * inputs looked at), written once the outputs are published, as
 * `<output dir>/receipt.json`, mode 0644 — it holds ids, hashes, claims and
 * statements, no secret.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PortValue } from '../workflow/model.js';
import { readJournal } from './journal.js';
import type { RunDir } from './run-dir.js';
import { buildReceipt } from '../master/receipt/build.js';
import { brokerDecisions, receiptInputs, receiptOutputs, scanInputs, sha256File } from '../master/receipt/collect.js';
import { RECEIPT_FILE, type ReceiptInput } from '../master/receipt/model.js';
import { signReceipt } from '../master/receipt/signature.js';
import { loadReceiptSigner, type ReceiptSigner } from '../master/receipt/signer.js';

export interface PendingReceipt {
  /** Builds, signs and writes the receipt into `outDir`; returns its path. */
  write(run: { readonly runDir: RunDir; readonly outDir: string; readonly published: Readonly<Record<string, PortValue>> }): Promise<string>;
}

export interface PrepareOptions {
  readonly workflowFile: string;
  readonly inputs: Readonly<Record<string, PortValue>>;
  /** Inputs already on a deployment's hosts: the signer of each one's manifest, by id (docs/connectors/data-in-place.md). */
  readonly dataSigners?: ReadonlyMap<string, string>;
  /** The attestation policy file, when the run has one. */
  readonly policyFile?: string;
  readonly passphrase: () => Promise<string | undefined>;
  readonly warn: (m: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Tests: sign with this key instead of the local master's. */
  readonly signer?: ReceiptSigner;
}

/**
 * A key-release file id without the master's directory layout: `run:<path>`
 * inside the run directory, `input:<name>` for an input the master
 * encrypted to the broker, else the base name.
 */
export function locationFree(id: string, runRoot: string): string {
  if (!path.isAbsolute(id)) return id;
  const rel = path.relative(runRoot, id);
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return `run:${rel.split(path.sep).join('/')}`;
  return path.basename(path.dirname(id)).startsWith('input-') ? `input:${path.basename(id)}` : path.basename(id);
}

export async function prepareReceipt(o: PrepareOptions): Promise<PendingReceipt> {
  const signer = o.signer ?? (await loadReceiptSigner({ passphrase: o.passphrase, warn: o.warn, ...(o.env ? { env: o.env } : {}) }));
  const workflow = sha256File(o.workflowFile);
  const policy = o.policyFile !== undefined ? sha256File(o.policyFile) : Promise.resolve(null);
  const inputs = scanInputs(o.inputs, o.dataSigners);
  for (const p of [workflow, policy]) p.catch(() => undefined); // awaited in write()
  return {
    async write({ runDir, outDir, published }) {
      const events = readJournal(runDir.journal).events;
      const decisions = brokerDecisions(runDir.id, events, o.env);
      const tasks = fs.existsSync(runDir.bundle) ? (await sha256File(runDir.bundle)).sha256 : null;
      const { outputs, values } = await receiptOutputs(published, outDir);
      const ins: ReceiptInput[] = await receiptInputs(inputs, decisions);
      const receipt = buildReceipt({
        runId: runDir.id,
        events,
        decisions,
        pin: signer.pin,
        workflow: { file: path.basename(o.workflowFile), sha256: (await workflow).sha256 },
        policySha256: (await policy)?.sha256 ?? null,
        tasksSha256: tasks,
        inputs: ins,
        outputs,
        values,
        now: Date.now(),
        fileId: (id) => locationFree(id, runDir.root),
      });
      const text = signReceipt(receipt, signer.signingKey, signer.publicKey);
      const file = path.join(outDir, RECEIPT_FILE);
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text, { mode: 0o644 });
      fs.chmodSync(tmp, 0o644); // whatever the umask: the receipt is for the owner to pass around
      fs.renameSync(tmp, file);
      return file;
    },
  };
}
