/**
 * The runner's default mode (docs/workflow-format.md "CWL"): the CWL
 * process goes through the engine like any sealflow workflow — attested
 * `sim` workers, every input admitted as an age file, per-step key release,
 * outputs encrypted to the owner with a signed receipt — and the runner then
 * checks each output ciphertext against the receipt and decrypts it with the
 * local owner identity into `--outdir`. Keys (the local master, the owner
 * identity) are created on first use in the state directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readIdentityFile } from '../../crypto/keyfile.js';
import { openSmall } from '../../crypto/oneshot.js';
import { revealValues } from '../../protocol/sealed-values.js';
import { decryptFileToFile } from '../../crypto/files.js';
import { DEFAULT_STATE_DIR } from '../../engine/run-dir.js';
import { runWorkflow } from '../../engine/run-workflow.js';
import { ownerIdentityFile } from '../../master/local-master.js';
import { checkCiphertextAgainstReceipt } from '../../master/receipt/check.js';
import type { CwlProcess } from '../../workflow/cwl/model.js';
import { cwlToModel, groupSecondaries, ungroupSecondaries } from '../../workflow/cwl/to-model.js';
import type { PortValue } from '../../workflow/model.js';
import { CwlRunError, expandFormats, fillInputs } from '../../worker/cwl/values.js';
import { masterPassphrase } from '../passphrase.js';
import { planRun } from '../run-plan.js';
import { untarTo } from '../untar.js';
import { publishOutputs } from './outputs.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface SealedOptions {
  readonly platform: string;
  readonly encrypt: boolean;
  readonly outdir: string;
  readonly stateDir?: string;
  readonly log: (line: string) => void;
}

async function decryptOne(file: string, receipt: string, dest: string, isDir: boolean): Promise<void> {
  await checkCiphertextAgainstReceipt(file, receipt, undefined);
  const identities = await readIdentityFile(ownerIdentityFile(), () => undefined);
  if (isDir) return untarTo(identities, file, dest);
  const inFd = fs.openSync(file, 'r');
  const outFd = fs.openSync(dest, 'w', 0o600);
  try {
    await decryptFileToFile(identities, inFd, fs.fstatSync(inFd).size, outFd);
  } finally {
    fs.closeSync(inFd);
    fs.closeSync(outFd);
  }
}

/** Decrypts every output file of `v` (ciphertexts in the published directory) into `plainDir`, keeping the CWL fields. */
async function reveal(v: unknown, receipt: string, plainDir: string): Promise<unknown> {
  if (Array.isArray(v)) return Promise.all(v.map((x) => reveal(x, receipt, plainDir)));
  if (!isObj(v)) return v;
  if ((v.class === 'File' || v.class === 'Directory') && typeof v.path === 'string') {
    const name = String(v.basename ?? path.basename(v.path).replace(/(\.tar)?\.age$/, ''));
    const d = fs.mkdtempSync(path.join(plainDir, 'o-'));
    const dest = path.join(d, name);
    await decryptOne(v.path, receipt, dest, v.class === 'Directory');
    const o: Obj = { ...v, path: dest, basename: name };
    delete o.sha256;
    if (Array.isArray(v.secondaryFiles)) o.secondaryFiles = await reveal(v.secondaryFiles, receipt, plainDir);
    return o;
  }
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) out[k] = await reveal(x, receipt, plainDir);
  return out;
}

/** Runs `proc` with `job` through the engine; returns the output object with the outputs decrypted into `o.outdir`. */
export async function runCwlThroughEngine(proc: CwlProcess, job: Obj, o: SealedOptions): Promise<unknown> {
  const stateDir = o.stateDir ?? DEFAULT_STATE_DIR;
  const workflow = cwlToModel(proc);
  // The owner's files and their secondary files are found here, where they are (parameter references only: the
  // master runs no workflow JavaScript; a pattern that needs it is left to the worker, which finds those secondary
  // files among the run's admitted inputs); each becomes an admitted age file of the run.
  const filled = fillInputs(proc.inputs, expandFormats(job, proc.namespaces) as Obj, { deferJavaScript: true }, proc.at, undefined, true);
  const published = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-cwl-published-'));
  const plainDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-cwl-plain-'));
  try {
    const plan = await planRun(proc.file, { input: {}, stateDir, platform: o.platform, encrypt: o.encrypt, quiet: true, out: published }, { workflow, inputs: groupSecondaries(filled) as Record<string, PortValue> });
    const outcome = await runWorkflow(plan, { stateDir, out: published, passphrase: () => masterPassphrase('Master passphrase: '), warn: (m) => o.log(m.replace(/\n$/, '')) });
    if (outcome.state !== 'succeeded' || !outcome.published) {
      const why = outcome.failures.map((f) => `${f.step}: ${f.message}`).join('; ') || outcome.message || outcome.state;
      throw new CwlRunError(`run ${outcome.runId} ${outcome.state}: ${why}`);
    }
    let outputs: unknown = outcome.published.outputs;
    if (o.encrypt) {
      // Values that are not files were sealed to the owner (docs/protocol.md §10.2): opened with the owner identity.
      const ids = await readIdentityFile(ownerIdentityFile(), () => undefined);
      outputs = Object.fromEntries(Object.entries(outcome.published.outputs).map(([k, v]) => [k, revealValues(v, (age) => openSmall(ids, age).toString('utf8'))]));
      outputs = await reveal(outputs, outcome.published.receipt, plainDir);
    }
    outputs = ungroupSecondaries(outputs);
    fs.mkdirSync(o.outdir, { recursive: true });
    return publishOutputs(outputs, o.outdir);
  } finally {
    fs.rmSync(published, { recursive: true, force: true });
    fs.rmSync(plainDir, { recursive: true, force: true });
  }
}
