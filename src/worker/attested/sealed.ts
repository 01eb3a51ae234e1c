/**
 * The worker side of the encrypted data flow (docs/protocol.md §10). Before
 * an attempt: check each input ciphertext's SHA-256 against the hash the
 * master recorded (age does not authenticate the writer), unwrap its file
 * key with the key-receiving key, decrypt it into the attempt's private
 * input directory, and point the step at the plaintext. Logs go to that
 * private directory. After the attempt, while its scratch still exists:
 * encrypt every output from scratch straight into its age file in the
 * output directory (`<name>.age`, a directory `<name>.tar.age`; §10.8: no
 * plaintext ever enters the run directory) to the given recipients, report
 * the ciphertext's size and SHA-256, encrypt the logs beside `logBase`
 * (`.out.age`, `.err.age`), and remove every plaintext the attempt left.
 */
import { createHash, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { decryptWithFileKey } from '../../crypto/index.js';
import { X25519Recipient } from '../../crypto/x25519.js';
import type { AssignMsg, SucceededMsg } from '../../protocol/execution.js';
import { filePaths, mapFiles, type SealedAssignMsg } from '../../protocol/sealed.js';
import { directoryPaths, mapPathValues } from '../../protocol/sealed-values.js';
import { openDirectory } from '../../protocol/sealed-dirs.js';
import { openVerified, sealInPlace } from './sealed-io.js';
import { sealDirectoriesAndValues } from './sealed-values.js';
import type { AttemptResult } from '../executor/attempt.js';
import type { Keeper } from '../executor/outputs.js';
import { fileKeyOpener, type FileKeyOpener } from '../../protocol/wcpac-crypto.js';
import type { Puller } from './fetch.js';
import { pipelineForFile, recipientsOf } from './pipeline-size.js';
import { forEachLimited } from './concurrent.js';

/** Large files go to the crypto pool (its worker source is embedded in the executor bundle: crypto-pool.ts). */
const PIPELINE = {};

async function writeStream(r: Readable, file: string): Promise<void> {
  const fh = await fs.promises.open(file, 'wx', 0o600);
  try {
    for await (const c of r) await fh.write(c as Uint8Array);
  } finally {
    await fh.close();
  }
}

/** Encrypts `file` to `recipients` in place (same path); the ciphertext's size and SHA-256 are computed as it is written (sealed-io.ts). */
export async function encryptFileInPlace(file: string, recipients: readonly X25519Recipient[]): Promise<{ size: number; sha256: string }> {
  return sealInPlace(file, recipients, await pipelineForFile(file));
}

/** Encrypts the plaintext output `src` (in scratch) to its age file `dest` in the output directory. */
async function sealOutput(src: string, dest: string, recipients: readonly X25519Recipient[]): Promise<{ size: number; sha256: string }> {
  // Synchronous (a few microseconds; the attempt's output directory exists already for a top-level output): a thread-pool round trip per output costs more.
  fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
  return sealInPlace(src, recipients, await pipelineForFile(src), dest, true); // `dest` is new, in this attempt's fresh output directory
}

/** SHA-256 of a file, streamed (memory stays bounded whatever its size). */
async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

export interface Prepared {
  readonly msg: AssignMsg;
  /** Seals logs and outputs; `keeper` (of a sealed attempt) says where each output's plaintext is. */
  finish(r: AttemptResult, keeper: Keeper): Promise<AttemptResult>;
}

/** Decrypted task bundles of this executor, by ciphertext SHA-256 (imported once each). */
const taskBundles = new Map<string, Promise<string>>();

async function openTaskBundle(src: string, f: { sha256: string; wrappedKey: string }, unwrap: () => Buffer, codeDir: string): Promise<string> {
  let p = taskBundles.get(f.sha256);
  if (!p) {
    p = (async () => {
      const bytes = await fs.promises.readFile(src);
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== f.sha256) throw new Error(`the task bundle's SHA-256 ${sha} is not the one the master recorded; refusing to run it`);
      const key = unwrap();
      fs.mkdirSync(codeDir, { recursive: true, mode: 0o700 });
      const dest = path.join(codeDir, `${f.sha256}.mjs`);
      await writeStream(decryptWithFileKey(key, bytes, PIPELINE), dest);
      key.fill(0);
      return dest;
    })();
    taskBundles.set(f.sha256, p);
    p.catch(() => taskBundles.delete(f.sha256));
  }
  return p;
}

/**
 * §7.1: the opener of the assignment's release — one X25519 exchange for all
 * of its file keys; every entry is checked for size and a repeated nonce
 * before any is opened, and each opens only for this step attempt and the
 * ciphertext hash it names (a swapped, replayed or forged entry does not).
 */
function openerOf(msg: SealedAssignMsg, keyReceivingKey: KeyObject): FileKeyOpener | null {
  const entries = Object.values(msg.sealed.files).map((f) => Buffer.from(f.wrappedKey, 'base64'));
  if (entries.length === 0) return null;
  if (msg.sealed.keyShare === undefined) throw new Error(`the assignment of ${msg.id} releases ${entries.length} file key(s) without a key share; refusing it`);
  return fileKeyOpener(keyReceivingKey, Buffer.from(msg.sealed.keyShare, 'base64'), entries);
}

/**
 * Decrypts the inputs of `msg` into `<scratchDir>.in/` (and its task bundle,
 * once per executor, into `codeDir`); throws (the attempt fails) on a hash
 * mismatch.
 */
export async function prepareSealed(msg: SealedAssignMsg, keyReceivingKey: KeyObject, codeDir = `${msg.scratchDir}.code`, pull?: Puller): Promise<Prepared> {
  const inDir = `${msg.scratchDir}.in`;
  fs.rmSync(inDir, { recursive: true, force: true });
  fs.mkdirSync(inDir, { recursive: true, mode: 0o700 });
  const recipients = recipientsOf(msg.sealed.recipients);
  const plain = new Map<string, string>();
  const opener = openerOf(msg, keyReceivingKey);
  const keyOf = (f: { sha256: string; wrappedKey: string }) => (): Buffer => {
    if (!opener) throw new Error('no file key was released');
    return opener.open(msg.id, f.sha256, Buffer.from(f.wrappedKey, 'base64'));
  };
  try {
    return await prepareWith(msg, opener, keyOf, inDir, recipients, plain, codeDir, pull);
  } finally {
    opener?.dispose();
  }
}

async function prepareWith(
  msg: SealedAssignMsg,
  opener: FileKeyOpener | null,
  keyOf: (f: { sha256: string; wrappedKey: string }) => () => Buffer,
  inDir: string,
  recipients: ReturnType<typeof recipientsOf>,
  plain: Map<string, string>,
  codeDir: string,
  pull: Puller | undefined,
): Promise<Prepared> {
  let exec = msg.exec;
  if (exec.kind === 'task') {
    const f = msg.sealed.files[exec.bundle];
    if (!f || !opener) throw new Error('no key was released for the task bundle');
    exec = { ...exec, bundle: await openTaskBundle(exec.bundle, f, keyOf(f), codeDir) };
  }
  const dirs = directoryPaths(msg.inputs);
  const entries = Object.entries(msg.sealed.files).filter(([src]) => !(msg.exec.kind === 'task' && src === msg.exec.bundle));
  // §10.7: a few inputs at once (each still hash-checked before its plaintext is used); if one fails,
  // the inputs already opened are wiped before the failure is reported.
  const opening = forEachLimited(entries, async ([src, f], n) => {
    // A file is read once: hashed while it is decrypted into a private file that is used only if the
    // whole ciphertext's SHA-256 matched, else deleted unread (§10.5, sealed-io.ts). A directory is
    // hash-checked before its decryption starts (its tar is extracted as it is decrypted).
    // §15: from the producing worker's data port (hashed as it streams in), else the master's copy.
    const dir = path.join(inDir, String(n));
    // A `lazy` source: the master copies its ciphertext to this host only after a failed pull (§15.8).
    // (The failed pull's `fallback` report is the request; its answer needs a round trip, so waiting starts in time.)
    const pulled = f.source && pull ? await pull.pull(msg.id, src, f.sha256, f.source, `${dir}.pulled.age`) : null;
    const copy = pulled === null && f.source?.lazy === true && pull ? await pull.masterCopy(msg.id, src) : src;
    if (pulled === null && dirs.has(src)) {
      const sha = await sha256Of(copy);
      if (sha !== f.sha256) throw new Error(`input ${path.basename(src)}: the ciphertext's SHA-256 ${sha} is not the one the master recorded (${f.sha256}); refusing to decrypt`);
    }
    fs.mkdirSync(dir, { mode: 0o700 });
    const keys: Buffer[] = [];
    const open = keyOf(f);
    const unwrap = (): Buffer => keys[keys.push(open()) - 1]!;
    const dest = path.join(dir, path.basename(src).replace(/(\.tar)?\.age$/, ''));
    try {
      // A directory travels as the age file of its tar stream (§10.1): untarred, safely, into the private input directory.
      if (dirs.has(src)) await openDirectory(pulled ?? copy, unwrap(), dest);
      else await openVerified(pulled ?? copy, unwrap, dest, pulled === null ? f.sha256 : null, path.basename(src), await pipelineForFile(pulled ?? copy));
    } finally {
      for (const k of keys) k.fill(0);
    }
    if (pulled !== null) fs.rmSync(pulled, { force: true });
    plain.set(src, dest);
  });
  try {
    await opening;
  } catch (e) {
    await fs.promises.rm(inDir, { recursive: true, force: true });
    throw e;
  }
  const inputs = mapPathValues(msg.inputs, (file) => {
    const p = plain.get(file.path);
    if (p === undefined) throw new Error(`no file key was released for input ${file.path}`);
    const { sha256: _s, size: _z, ...rest } = file;
    return { ...rest, path: p };
  });
  const logBase = path.join(inDir, 'log');
  const { sealed: _sealed, ...plainMsg } = msg;
  return {
    msg: { ...plainMsg, exec, inputs, logBase },
    async finish(r, keeper) {
      try {
        // An empty log is not sealed: its ciphertext would say only that it is empty, which its size tells anyway (§10.4).
        // A log is sealed straight to its destination (no in-place ciphertext to copy), both logs at once (§10.7).
        const logs = ['out', 'err'].filter((ext) => fs.statSync(`${logBase}.${ext}`, { throwIfNoEntry: false })?.size);
        if (logs.length > 0) fs.mkdirSync(path.dirname(msg.logBase), { recursive: true });
        await forEachLimited(logs, async (ext) => sealInPlace(`${logBase}.${ext}`, recipients, await pipelineForFile(`${logBase}.${ext}`), `${msg.logBase}.${ext}.age`));
        if (r.type !== 'succeeded') return r.type === 'failed' ? { ...r, stderrTail: '(encrypted: see the step log)' } : r;
        // §10.8: outputs go from scratch straight into their age files in a fresh output directory (a killed
        // earlier attempt may have left a partial one).
        fs.rmSync(msg.outDir, { recursive: true, force: true });
        fs.mkdirSync(msg.outDir, { recursive: true, mode: 0o700 });
        const source = (p: string) => keeper.sourceOf(p);
        let outputs: SucceededMsg['outputs'];
        try {
          outputs = await sealDirectoriesAndValues(r.outputs, recipients, source); // §10.1, §10.2
        } catch (e) {
          fs.rmSync(msg.outDir, { recursive: true, force: true }); // nothing half-written outlives a refusal
          return { type: 'failed', exitStatus: null, signal: null, message: e instanceof Error ? e.message : String(e), stderrTail: '', durationMs: r.durationMs };
        }
        // §10.7: a few outputs at once.
        const unique = [...new Set(filePaths(outputs))];
        const sealed = await forEachLimited(unique, (p) => sealOutput(source(p), p, recipients));
        const sealedFiles = new Map(unique.map((p, i) => [p, sealed[i] as { size: number; sha256: string }]));
        const sealedOut = mapFiles(outputs, (file) => ({ ...file, ...sealedFiles.get(file.path) }));
        return { ...(r as Omit<SucceededMsg, 'id'>), outputs: sealedOut as SucceededMsg['outputs'] };
      } finally {
        // Before the result is sent. Synchronous: the private input directory is on scratch, RAM-backed where it can be (§10.8):
        // removing it takes microseconds per file; the promise API's thread-pool round trip per file and directory cost more on every step.
        fs.rmSync(inDir, { recursive: true, force: true });
      }
    },
  };
}
