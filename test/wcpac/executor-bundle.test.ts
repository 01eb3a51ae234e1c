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
import { buildExecutorCode, buildSandboxCode, ENTRY, SANDBOX_ENTRY, sealExecutorBundle, sealSandbox } from '../../src/master/broker/executor-bundle.js';
import { openBundle } from '../../src/protocol/wcpac-crypto.js';
import { openSealedSandbox } from '../../src/worker/attested/sandbox.js';
import { ExpressionError, ExpressionSandbox, useQuickJSSource } from '../../src/workflow/cwl/expr/sandbox.js';
import { quickjsModule } from '../../src/workflow/cwl/expr/quickjs-module.js';
import { readExecutorCache } from '../../src/master/broker/executor-cache.js';

describe('the executor bundle', () => {
  test('embeds the chunk worker, leaves out pkijs, and is cached (0600) per installation until its code or inputs change', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bundle-'));
    const saved = process.env['SEALFLOW_HOME'];
    process.env['SEALFLOW_HOME'] = home;
    try {
      const code = await buildExecutorCode();
      assert.match(code, /^const __SEALFLOW_CHUNK_WORKER__ = "/);
      // ~0.4 MB of executor: the QuickJS WebAssembly CWL expressions run in (~0.67 MB) is the separate sealed sandbox (§7.1).
      assert.ok(!code.includes('pkijs') && code.length < 500_000, `bundle of ${code.length} chars`);
      assert.ok(!code.includes('QUICKJS_WASM_BASE64') && !code.includes('AGFzbQEAAAAB'), 'no QuickJS WebAssembly in the executor bundle');
      const files = fs.readdirSync(path.join(home, 'cache'));
      assert.equal(files.length, 1);
      assert.equal(readExecutorCache(SANDBOX_ENTRY), null, 'the sandbox is built and cached only when asked for');
      const file = path.join(home, 'cache', files[0] as string);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(readExecutorCache(ENTRY), code);
      assert.equal(readExecutorCache('/another/checkout/dist/src/worker/attested/main.js'), null, "another installation's cache is not this one's");
      assert.equal(await buildExecutorCode(), code);
      const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { code: string };
      fs.writeFileSync(file, JSON.stringify({ ...c, code: `${c.code}\n// changed` }));
      assert.equal(readExecutorCache(ENTRY), null, 'code that does not match the recorded hash is not used');
    } finally {
      if (saved === undefined) delete process.env['SEALFLOW_HOME'];
      else process.env['SEALFLOW_HOME'] = saved;
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('the expression sandbox is its own bundle: it holds the QuickJS WebAssembly, runs from memory, and is cached apart from the executor', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-sandbox-'));
    const saved = process.env['SEALFLOW_HOME'];
    process.env['SEALFLOW_HOME'] = home;
    try {
      const code = await buildSandboxCode();
      assert.ok(code.includes('AGFzbQEAAAAB'), 'the WebAssembly bytes are in it, as data');
      assert.ok(code.length > 600_000 && code.length < 1_000_000, `sandbox of ${code.length} chars`);
      assert.equal(readExecutorCache(SANDBOX_ENTRY), code);
      const sealed = sealSandbox(code);
      const sandbox = await ExpressionSandbox.create([], {});
      sandbox.dispose();
      useQuickJSSource(() => openSealedSandbox({ sha256: sealed.sha256.toString('hex'), key: sealed.key.toString('base64') }, () => Promise.resolve(sealed.sealed)));
      try {
        const s = await ExpressionSandbox.create();
        assert.equal(s.evaluate('paren', '1 + inputs.x', { inputs: { x: 41 } }), 42, 'an expression runs in the sandbox loaded from the sealed bundle');
        s.dispose();
      } finally {
        useQuickJSSource(quickjsModule);
      }
    } finally {
      if (saved === undefined) delete process.env['SEALFLOW_HOME'];
      else process.env['SEALFLOW_HOME'] = saved;
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('the sealed executor bundle carries the run sandbox key and SHA-256 inside its encryption, and none when sealed without one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bundle-ref-'));
    try {
      const sandbox = { sha256: Buffer.alloc(32, 7), key: Buffer.alloc(32, 9) };
      const b = await sealExecutorBundle('export function start() {}', path.join(dir, 'with'), sandbox);
      const sealed = fs.readFileSync(b.path);
      assert.ok(!sealed.includes(sandbox.key.toString('base64')), 'the sandbox key is not readable without the bundle key');
      const plain = openBundle(b.key, sealed).toString('utf8');
      assert.ok(plain.startsWith(`const __SEALFLOW_SANDBOX__ = {"sha256":"${'07'.repeat(32)}","key":"${sandbox.key.toString('base64')}"};\n`));
      const none = await sealExecutorBundle('export function start() {}', path.join(dir, 'without'));
      assert.ok(openBundle(none.key, fs.readFileSync(none.path)).toString('utf8').startsWith('const __SEALFLOW_SANDBOX__ = null;\n'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a sealed sandbox whose SHA-256 is not the one the bundle names, or that does not open with its key, is refused before anything of it runs', async () => {
    const code = 'globalThis.__sandboxRan = true; export async function quickjsModule() { return null; }';
    const s = sealSandbox(code);
    const ref = { sha256: s.sha256.toString('hex'), key: s.key.toString('base64') };
    const flipped = Buffer.from(s.sealed);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    await assert.rejects(openSealedSandbox(ref, () => Promise.resolve(flipped)), (e: unknown) => e instanceof ExpressionError && /does not have the SHA-256/.test(e.message));
    const otherKey = { ...ref, key: Buffer.alloc(32, 1).toString('base64') };
    await assert.rejects(openSealedSandbox(otherKey, () => Promise.resolve(s.sealed)), (e: unknown) => e instanceof ExpressionError && /does not open with the key/.test(e.message));
    await assert.rejects(openSealedSandbox(null, () => Promise.resolve(s.sealed)), (e: unknown) => e instanceof ExpressionError && /carries no expression sandbox/.test(e.message));
    await assert.rejects(openSealedSandbox(ref, () => Promise.resolve(Buffer.alloc(0))), (e: unknown) => e instanceof ExpressionError && /has no expression sandbox/.test(e.message));
    assert.equal((globalThis as { __sandboxRan?: boolean }).__sandboxRan, undefined, 'no refused sandbox ran');
  });
});
