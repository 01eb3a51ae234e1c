/**
 * The QuickJS WebAssembly module of the expression sandbox (sandbox.ts), built
 * so that it also loads from memory, with no file beside it: the WebAssembly
 * bytes are data (quickjs-wasm.ts), and the Emscripten loader is the CommonJS
 * build (the ESM build calls createRequire(import.meta.url), which a module
 * imported from memory cannot). sandbox.ts imports it when the first sandbox
 * is made.
 */
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC, type QuickJSSyncVariant, type QuickJSWASMModule } from 'quickjs-emscripten';
import { QUICKJS_WASM_BASE64 } from './quickjs-wasm.js';

/** A new QuickJS module (each call instantiates the WebAssembly once; sandbox.ts keeps one). */
export function quickjsModule(): Promise<QuickJSWASMModule> {
  const variant: QuickJSSyncVariant = {
    ...(RELEASE_SYNC as QuickJSSyncVariant),
    importModuleLoader: async () => {
      // The CommonJS loader reads __dirname when it instantiates the module; bundled into ESM it finds this global
      // (left in place: instantiation happens later). Nothing is read from it: the bytes come from wasmBinary.
      const g = globalThis as { __dirname?: string };
      if (typeof g.__dirname !== 'string') g.__dirname = '/nonexistent';
      // @ts-expect-error: the Emscripten loader has no type declarations of its own.
      const m = (await import('../../../../../node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.cjs')) as { default: unknown };
      return m.default as never;
    },
  };
  const bytes = Buffer.from(QUICKJS_WASM_BASE64, 'base64');
  return newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), locateFile: (name: string) => name }));
}
