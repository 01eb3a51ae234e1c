/**
 * The JavaScript sandbox for CWL expressions (DESIGN.md, "Where computation
 * on plaintext happens"): QuickJS compiled to WebAssembly
 * (quickjs-emscripten), one runtime per step attempt, with a memory limit,
 * a stack limit, a per-expression deadline enforced by QuickJS's interrupt
 * handler, and a bound on promise jobs. An expression sees only JSON copies
 * of `inputs`, `self` and `runtime` and the document's `expressionLib`; it
 * has no `require`, no `process`, no file system, network, timers or host
 * objects — the WebAssembly instance's memory is all it can reach. Never
 * `node:vm`, which is not a security boundary.
 */
import type { QuickJSContext, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';

export interface SandboxLimits {
  /** Heap of the QuickJS runtime (default 64 MiB). */
  readonly memoryBytes: number;
  /** Wall-clock time of one expression, its promise jobs included (default 10 s). */
  readonly timeMs: number;
  /** Promise jobs run after one expression (default 10,000). */
  readonly maxJobs: number;
  /** Largest result, as JSON (default 16 MiB). */
  readonly maxResultBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { memoryBytes: 64 * 1024 * 1024, timeMs: 10_000, maxJobs: 10_000, maxResultBytes: 16 * 1024 * 1024 };

/** An expression failed: it threw, ran out of time or memory, or returned something that is not JSON. A clean step failure. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

/**
 * Where the QuickJS module comes from: by default quickjs-module.ts, imported
 * only when the first sandbox is made (it is ~0.7 MB of code and WebAssembly
 * that no command and no step without JavaScript expressions loads).
 * `useQuickJSSource` replaces it (before the first sandbox is made).
 */
let source: () => Promise<QuickJSWASMModule> = async () => (await import('./quickjs-module.js')).quickjsModule();
let modulePromise: Promise<QuickJSWASMModule> | undefined;

/** Sets where the QuickJS module comes from (before the first sandbox is made). */
export function useQuickJSSource(load: () => Promise<QuickJSWASMModule>): void {
  source = load;
  modulePromise = undefined;
}

function quickjs(): Promise<QuickJSWASMModule> {
  if (!modulePromise) {
    modulePromise = source();
    modulePromise.catch(() => (modulePromise = undefined)); // a failed load is tried again by the next sandbox
  }
  return modulePromise;
}

export interface ExpressionContext {
  readonly inputs?: unknown;
  readonly self?: unknown;
  readonly runtime?: unknown;
}

function short(code: string): string {
  const one = code.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 80)}…` : one;
}

export class ExpressionSandbox {
  private rt: QuickJSRuntime | undefined;
  private vm: QuickJSContext | undefined;
  private deadline = 0;

  private constructor(
    private readonly mod: QuickJSWASMModule,
    private readonly lib: readonly string[],
    readonly limits: SandboxLimits,
  ) {}

  /** A sandbox with `expressionLib` loaded (each entry is evaluated once, in order). */
  static async create(lib: readonly string[] = [], limits: Partial<SandboxLimits> = {}): Promise<ExpressionSandbox> {
    const s = new ExpressionSandbox(await quickjs(), lib, { ...DEFAULT_LIMITS, ...limits });
    s.fresh();
    return s;
  }

  /** (Re)creates the runtime: after an expression ran out of memory or time, nothing of it is reused. */
  private fresh(): void {
    this.dispose();
    const rt = this.mod.newRuntime();
    rt.setMemoryLimit(this.limits.memoryBytes);
    rt.setMaxStackSize(1024 * 1024);
    rt.setInterruptHandler(() => Date.now() > this.deadline);
    const vm = rt.newContext();
    this.rt = rt;
    this.vm = vm;
    this.deadline = Date.now() + this.limits.timeMs;
    for (const [i, code] of this.lib.entries()) {
      const r = vm.evalCode(code, `expressionLib[${i}].js`);
      if (r.error) {
        const why = this.describe(vm.dump(r.error));
        r.error.dispose();
        throw new ExpressionError(`expressionLib[${i}] failed: ${why}`);
      }
      r.value.dispose();
    }
  }

  private describe(err: unknown): string {
    let msg = String(err);
    if (err !== null && typeof err === 'object') {
      const e = err as { name?: unknown; message?: unknown };
      msg = `${typeof e.name === 'string' ? `${e.name}: ` : ''}${typeof e.message === 'string' ? e.message : JSON.stringify(err)}`;
    }
    if (/out of memory/i.test(msg)) return `ran out of memory (limit ${this.limits.memoryBytes} bytes)`;
    if (Date.now() > this.deadline || /interrupted/i.test(msg)) return `did not finish within ${this.limits.timeMs} ms`;
    return msg;
  }

  /**
   * Evaluates `$(code)` (kind `paren`: a JavaScript expression) or `${code}` (kind `brace`: a function body)
   * with JSON copies of the context; returns the result as plain JSON (undefined becomes null).
   */
  evaluate(kind: 'paren' | 'brace', code: string, context: ExpressionContext): unknown {
    if (!this.vm) this.fresh();
    const vm = this.vm!;
    const rt = this.rt!;
    const ctxJson = JSON.stringify({ inputs: context.inputs ?? null, self: context.self ?? null, runtime: context.runtime ?? null });
    const body = kind === 'paren' ? `return (${code}\n);` : code;
    const src =
      `(function(){ var __c = JSON.parse(globalThis.__ctx); delete globalThis.__ctx;\n` +
      `globalThis.inputs = __c.inputs; globalThis.self = __c.self; globalThis.runtime = __c.runtime;\n` +
      `var __r = (function(){\n${body}\n})();\n` +
      `if (__r !== null && typeof __r === 'object' && typeof __r.then === 'function') throw new TypeError('the expression returned a Promise; CWL expressions are synchronous');\n` +
      `return __r === undefined ? 'null' : JSON.stringify(__r); })()`;
    this.deadline = Date.now() + this.limits.timeMs;
    const handle = vm.newString(ctxJson);
    vm.setProp(vm.global, '__ctx', handle);
    handle.dispose();
    let out: string;
    try {
      const r = vm.evalCode(src, 'expression.js');
      if (r.error) {
        const why = this.describe(vm.dump(r.error));
        r.error.dispose();
        throw new ExpressionError(why);
      }
      const dumped: unknown = vm.dump(r.value);
      r.value.dispose();
      // Promise jobs the expression queued run now, bounded in number and by the same deadline.
      const jobs = rt.executePendingJobs(this.limits.maxJobs);
      if (jobs.error) {
        const why = this.describe(vm.dump(jobs.error));
        jobs.error.dispose();
        throw new ExpressionError(`a promise job failed: ${why}`);
      }
      if (jobs.value >= this.limits.maxJobs || rt.hasPendingJob()) throw new ExpressionError(`it queued more than ${this.limits.maxJobs} promise jobs (an endless promise chain?)`);
      if (typeof dumped !== 'string') throw new ExpressionError('the result is not JSON');
      out = dumped;
    } catch (e) {
      // A runtime that ran out of memory or time, or still has jobs, is not reused.
      this.dispose();
      if (e instanceof ExpressionError) throw new ExpressionError(`expression ${kind === 'paren' ? '$(' : '${'}${short(code)}${kind === 'paren' ? ')' : '}'} ${e.message}`);
      throw e;
    }
    if (out.length > this.limits.maxResultBytes) throw new ExpressionError(`expression result larger than ${this.limits.maxResultBytes} bytes`);
    return JSON.parse(out) as unknown;
  }

  dispose(): void {
    this.vm?.dispose();
    this.rt?.dispose();
    this.vm = undefined;
    this.rt = undefined;
  }
}
