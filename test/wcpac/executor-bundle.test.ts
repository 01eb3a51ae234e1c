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
import { buildExecutorCode, ENTRY } from '../../src/master/broker/executor-bundle.js';
import { readExecutorCache } from '../../src/master/broker/executor-cache.js';

describe('the executor bundle', () => {
  test('embeds the chunk worker, leaves out pkijs, and is cached (0600) per installation until its code or inputs change', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bundle-'));
    const saved = process.env['SEALFLOW_HOME'];
    process.env['SEALFLOW_HOME'] = home;
    try {
      const code = await buildExecutorCode();
      assert.match(code, /^const __SEALFLOW_CHUNK_WORKER__ = "/);
      // ~0.4 MB of executor, plus the QuickJS WebAssembly CWL expressions run in (~0.67 MB: src/workflow/cwl/expr/quickjs-wasm.ts).
      assert.ok(!code.includes('pkijs') && code.length < 1_200_000, `bundle of ${code.length} chars`);
      const files = fs.readdirSync(path.join(home, 'cache'));
      assert.equal(files.length, 1);
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
});
