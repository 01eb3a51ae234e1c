/**
 * Where the chunk pool (pool.ts) loads its worker thread from: the compiled
 * `chunk-worker.js` beside this module, unless the host set an inline source.
 * The attested executor runs from an in-memory bundle (its `import.meta.url`
 * is a `data:` URL, with no file beside it), so it embeds the bundled worker
 * code and sets it here; the worker then starts from a `data:` URL — no code
 * is loaded from the worker host's disk.
 */
let inline: string | undefined;

/** Use `code` (one self-contained ES module) for every chunk worker started from now on. */
export function setChunkWorkerSource(code: string): void {
  inline = code;
}

export function chunkWorkerUrl(): URL {
  if (inline !== undefined) return new URL(`data:text/javascript;base64,${Buffer.from(inline, 'utf8').toString('base64')}`);
  return new URL('./chunk-worker.js', import.meta.url);
}
