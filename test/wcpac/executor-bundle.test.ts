/**
 * docs/protocol.md §6–§7: the executor bundle. It embeds the crypto pool's
 * worker (so large files are sealed on the pool inside the in-memory
 * executor), stays free of the X.509 issuing code, and is cached in
 * $SEALFLOW_HOME/cache keyed by the files esbuild read, one cache per
 * installation; a cache whose code does not match its hash is not used.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildExecutorCode, buildSandboxCode, ENTRY, SANDBOX_ENTRY, sandboxHashOf, sealExecutorBundle, sealSandbox } from '../../src/master/broker/executor-bundle.js';
import { createHash, randomBytes } from 'node:crypto';
import { sealBundle } from '../../src/protocol/wcpac-crypto.js';
import { openBundle } from '../../src/protocol/wcpac-crypto.js';
import { openSealedSandbox } from '../../src/worker/attested/sandbox.js';
import { ExpressionError, ExpressionSandbox, useQuickJSSource } from '../../src/workflow/cwl/expr/sandbox.js';
import { quickjsModule } from '../../src/workflow/cwl/expr/quickjs-module.js';
import { readExecutorCache } from '../../src/master/broker/executor-cache.js';
import { withEnv } from '../helpers/env.js';

/** Runs `f` with SEALFLOW_HOME a fresh temporary directory (its caches), removed afterwards. */
async function withTempHome(prefix: string, f: (home: string) => Promise<void>): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    await withEnv({ SEALFLOW_HOME: home }, () => f(home));
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

describe('the executor bundle', () => {
  test('embeds the chunk worker, leaves out pkijs, and is cached (0600) per installation until its code or inputs change', async () => {
    await withTempHome('sealflow-bundle-', async (home) => {
      const code = await buildExecutorCode();
      assert.match(code, /^const __SEALFLOW_CHUNK_WORKER__ = "/);
      // ~0.4 MB of executor: the QuickJS WebAssembly CWL expressions run in (~0.67 MB) is the separate sealed sandbox (§7.2).
      assert.ok(!code.includes('pkijs') && code.length < 500_000, `bundle of ${code.length} chars`);
      assert.ok(!code.includes('QUICKJS_WASM_BASE64') && !code.includes('AGFzbQEAAAAB'), 'no QuickJS WebAssembly in the executor bundle');
      const files = fs.readdirSync(path.join(home, 'cache'));
      assert.equal(files.length, 2, 'the executor and, beside it, the sandbox it names');
      const sandbox = readExecutorCache(SANDBOX_ENTRY);
      assert.ok(sandbox !== null);
      assert.equal(sandboxHashOf(code), createHash('sha256').update(sandbox).digest('hex'), "the executor's code names the SHA-256 of the sandbox built with it");
      const file = path.join(home, 'cache', files.find((f) => (JSON.parse(fs.readFileSync(path.join(home, 'cache', f), 'utf8')) as { code: string }).code === code) as string);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(readExecutorCache(ENTRY), code);
      assert.equal(readExecutorCache('/another/checkout/dist/src/worker/attested/main.js'), null, "another installation's cache is not this one's");
      assert.equal(await buildExecutorCode(), code);
      const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { code: string };
      fs.writeFileSync(file, JSON.stringify({ ...c, code: `${c.code}\n// changed` }));
      assert.equal(readExecutorCache(ENTRY), null, 'code that does not match the recorded hash is not used');
    });
  });

  test('the expression sandbox is its own bundle: it holds the QuickJS WebAssembly, runs from memory, and is cached apart from the executor', async () => {
    await withTempHome('sealflow-sandbox-', async () => {
      const code = await buildSandboxCode();
      assert.ok(code.includes('AGFzbQEAAAAB'), 'the WebAssembly bytes are in it, as data');
      assert.ok(code.length > 600_000 && code.length < 1_000_000, `sandbox of ${code.length} chars`);
      assert.equal(readExecutorCache(SANDBOX_ENTRY), code);
      const executor = await buildExecutorCode();
      const key = randomBytes(32);
      const sealed = await sealSandbox(executor, key);
      assert.ok(!sealed.includes(Buffer.from('AGFzbQEAAAAB')), 'sealed');
      useQuickJSSource(() => openSealedSandbox({ sha256: sandboxHashOf(executor) as string, key: key.toString('base64') }, () => Promise.resolve(sealed)));
      try {
        const s = await ExpressionSandbox.create();
        assert.equal(s.evaluate('paren', '1 + inputs.x', { inputs: { x: 41 } }), 42, 'an expression runs in the sandbox loaded from the sealed bundle');
        s.dispose();
      } finally {
        useQuickJSSource(quickjsModule);
      }
    });
  });

  test('the sealed executor bundle carries the run sandbox key inside its encryption, and none when sealed without one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bundle-ref-'));
    try {
      const sandboxKey = Buffer.alloc(32, 9);
      const b = await sealExecutorBundle('export function start() {}', path.join(dir, 'with'), sandboxKey);
      const sealed = fs.readFileSync(b.path);
      assert.ok(!sealed.includes(sandboxKey.toString('base64')), 'the sandbox key is not readable without the bundle key');
      assert.ok(openBundle(b.key, sealed).toString('utf8').startsWith(`const __SEALFLOW_SANDBOX_KEY__ = "${sandboxKey.toString('base64')}";\n`));
      const none = await sealExecutorBundle('export function start() {}', path.join(dir, 'without'));
      assert.ok(openBundle(none.key, fs.readFileSync(none.path)).toString('utf8').startsWith('const __SEALFLOW_SANDBOX_KEY__ = null;\n'));
      await assert.rejects(sealSandbox('const __SEALFLOW_SANDBOX_SHA256__ = "' + '0'.repeat(64) + '";\n', sandboxKey), /not the one the running executor bundle names/, 'a sandbox that changed under the running master is not sent');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a sealed sandbox that does not open with the run key, or whose code is not the one the bundle names, is refused before anything of it runs', async () => {
    const code = Buffer.from('globalThis.__sandboxRan = true; export async function quickjsModule() { return null; }');
    const key = randomBytes(32);
    const ref = { sha256: createHash('sha256').update(code).digest('hex'), key: key.toString('base64') };
    const sealed = sealBundle(key, code);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    await assert.rejects(openSealedSandbox(ref, () => Promise.resolve(flipped)), (e: unknown) => e instanceof ExpressionError && /does not open with the key/.test(e.message));
    await assert.rejects(openSealedSandbox({ ...ref, key: randomBytes(32).toString('base64') }, () => Promise.resolve(sealed)), (e: unknown) => e instanceof ExpressionError && /does not open with the key/.test(e.message));
    const other = sealBundle(key, Buffer.from('globalThis.__sandboxRan = true; export async function quickjsModule() { return 1; }'));
    await assert.rejects(openSealedSandbox(ref, () => Promise.resolve(other)), (e: unknown) => e instanceof ExpressionError && /its SHA-256 differs/.test(e.message));
    await assert.rejects(openSealedSandbox(null, () => Promise.resolve(sealed)), (e: unknown) => e instanceof ExpressionError && /carries no expression sandbox key/.test(e.message));
    await assert.rejects(openSealedSandbox(ref, () => Promise.resolve(Buffer.alloc(0))), (e: unknown) => e instanceof ExpressionError && /sent no expression sandbox/.test(e.message));
    assert.equal((globalThis as { __sandboxRan?: boolean }).__sandboxRan, undefined, 'no refused sandbox ran');
  });
});
