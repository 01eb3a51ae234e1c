/**
 * The sandbox's WebAssembly bytes are embedded (src/workflow/cwl/expr/quickjs-wasm.ts) so that the attested
 * executor, one bundle run from memory, carries them in its measurement; they must be the installed package's.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { QUICKJS_WASM_BASE64 } from '../../../src/workflow/cwl/expr/quickjs-wasm.js';
import { REPO } from '../../helpers/cli.js';

test('the embedded QuickJS WebAssembly module is the installed package\'s file, byte for byte', () => {
  const installed = fs.readFileSync(path.join(REPO, 'node_modules', '@jitl', 'quickjs-wasmfile-release-sync', 'dist', 'emscripten-module.wasm'));
  const embedded = Buffer.from(QUICKJS_WASM_BASE64, 'base64');
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  // After upgrading quickjs-emscripten, regenerate src/workflow/cwl/expr/quickjs-wasm.ts from that file (base64).
  assert.equal(sha(embedded), sha(installed));
});
