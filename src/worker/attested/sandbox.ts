/**
 * The attested executor's CWL expression sandbox (docs/protocol.md §7.1):
 * QuickJS is not in the executor bundle. The bundle carries the run's
 * sandbox key and the SHA-256 of the sealed sandbox (`__SEALFLOW_SANDBOX__`,
 * put there by the master when it sealed the bundle: covered by the bundle's
 * SHA-256 that the master signed, readable only by a worker the bundle key
 * was released to). When the first step needs JavaScript, the executor asks
 * the master for the sealed sandbox over its channel, checks its SHA-256
 * before anything opens it, decrypts it in memory and imports it — as the
 * provisioner does with the bundle (§6).
 */
import { createHash } from 'node:crypto';
import type { QuickJSWASMModule } from 'quickjs-emscripten';
import { ExpressionError } from '../../workflow/cwl/expr/sandbox.js';
import { openBundle } from '../../protocol/wcpac-crypto.js';

declare const __SEALFLOW_SANDBOX__: { readonly sha256: string; readonly key: string } | null | undefined;

/** The sandbox reference the executor bundle carries, or null (a bundle sealed without one, or these modules run unbundled). */
export function bundledSandboxRef(): { readonly sha256: string; readonly key: string } | null {
  return typeof __SEALFLOW_SANDBOX__ === 'undefined' ? null : __SEALFLOW_SANDBOX__;
}

/**
 * The QuickJS module from the sealed sandbox `fetch` returns, checked against `ref` (hex SHA-256 of the
 * ciphertext, base64 key). Throws ExpressionError (the step fails cleanly) for a missing reference, a
 * ciphertext with another hash, or one that does not open with the key.
 */
export async function openSealedSandbox(ref: { readonly sha256: string; readonly key: string } | null, fetch: () => Promise<Buffer>): Promise<QuickJSWASMModule> {
  if (ref === null) throw new ExpressionError('this executor bundle carries no expression sandbox (the master sealed it without one): JavaScript expressions cannot run on this worker');
  const sealed = await fetch();
  if (sealed.length === 0) throw new ExpressionError('the master has no expression sandbox for this run');
  if (createHash('sha256').update(sealed).digest('hex') !== ref.sha256) throw new ExpressionError('the expression sandbox the master sent does not have the SHA-256 the executor bundle names: refused, nothing of it ran');
  let code: Buffer;
  try {
    code = openBundle(Buffer.from(ref.key, 'base64'), sealed);
  } catch {
    throw new ExpressionError('the expression sandbox does not open with the key the executor bundle carries: refused, nothing of it ran');
  }
  const mod = (await import(`data:text/javascript;base64,${code.toString('base64')}`)) as { quickjsModule?: () => Promise<QuickJSWASMModule> };
  if (typeof mod.quickjsModule !== 'function') throw new ExpressionError('the expression sandbox exports no quickjsModule function');
  return mod.quickjsModule();
}
