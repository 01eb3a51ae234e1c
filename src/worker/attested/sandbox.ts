/**
 * The attested executor's CWL expression sandbox (docs/protocol.md §7.2):
 * QuickJS is not in the executor bundle. The executor's code names the
 * SHA-256 of the sandbox code it was built with
 * (`__SEALFLOW_SANDBOX_SHA256__`), and the sealed bundle carries the run's
 * sandbox key (`__SEALFLOW_SANDBOX_KEY__`, put there by the master when it
 * sealed the bundle): both are covered by the bundle's SHA-256 that the
 * master signed, and the key is readable only by a worker the bundle key was
 * released to. When the first step needs JavaScript, the executor asks the
 * master for the sealed sandbox over its channel, decrypts it in memory
 * (ChaCha20-Poly1305: only the master and this worker hold the key), checks
 * the code's SHA-256 against the one its bundle names, and only then imports
 * it — from memory, as the provisioner does with the bundle (§6).
 */
import { createHash } from 'node:crypto';
import type { QuickJSWASMModule } from 'quickjs-emscripten';
import { ExpressionError } from '../../workflow/cwl/expr/sandbox.js';
import { openBundle } from '../../protocol/wcpac-crypto.js';

declare const __SEALFLOW_SANDBOX_SHA256__: string | undefined;
declare const __SEALFLOW_SANDBOX_KEY__: string | null | undefined;

/** What the executor bundle names of the run's sandbox: the code's SHA-256 (hex) and the run's sandbox key (base64). */
export interface SandboxRef {
  readonly sha256: string;
  readonly key: string;
}

/** The sandbox reference the executor bundle carries, or null (a bundle sealed without a sandbox key, or these modules run unbundled). */
export function bundledSandboxRef(): SandboxRef | null {
  const sha256 = typeof __SEALFLOW_SANDBOX_SHA256__ === 'string' ? __SEALFLOW_SANDBOX_SHA256__ : null;
  const key = typeof __SEALFLOW_SANDBOX_KEY__ === 'string' ? __SEALFLOW_SANDBOX_KEY__ : null;
  return sha256 !== null && key !== null ? { sha256, key } : null;
}

/**
 * The QuickJS module from the sealed sandbox `fetch` returns, checked against `ref`. Throws ExpressionError
 * (the step fails cleanly, naming why) for a missing reference, an empty answer, a ciphertext that does not
 * open with the key, or code with another SHA-256; nothing of a refused sandbox runs.
 */
export async function openSealedSandbox(ref: SandboxRef | null, fetch: () => Promise<Buffer>): Promise<QuickJSWASMModule> {
  if (ref === null) throw new ExpressionError('this executor bundle carries no expression sandbox key: JavaScript expressions cannot run on this worker');
  const sealed = await fetch();
  if (sealed.length === 0) throw new ExpressionError('the master sent no expression sandbox for this run (see its log)');
  let code: Buffer;
  try {
    code = openBundle(Buffer.from(ref.key, 'base64'), sealed);
  } catch {
    throw new ExpressionError('the expression sandbox does not open with the key the executor bundle carries: refused, nothing of it ran');
  }
  if (createHash('sha256').update(code).digest('hex') !== ref.sha256) throw new ExpressionError('the expression sandbox is not the code the executor bundle names (its SHA-256 differs): refused, nothing of it ran');
  const mod = (await import(`data:text/javascript;base64,${code.toString('base64')}`)) as { quickjsModule?: () => Promise<QuickJSWASMModule> };
  if (typeof mod.quickjsModule !== 'function') throw new ExpressionError('the expression sandbox exports no quickjsModule function');
  return mod.quickjsModule();
}
