/** Progress while the benchmark runs: one line per finished run; on a TTY also a live line with the current run. */

export interface BenchProgress {
  /** A permanent line (e.g. one finished run). */
  line(text: string): void;
  /** The run now under way (TTY: a live line with elapsed seconds; otherwise nothing). */
  current(text: string | null): void;
  end(): void;
}

export function createBenchProgress(out: NodeJS.WriteStream = process.stderr, quiet = false): BenchProgress {
  if (quiet) return { line() {}, current() {}, end() {} };
  if (!out.isTTY) return { line: (t) => out.write(`${t}\n`), current() {}, end() {} };
  let cur: string | null = null;
  let since = 0;
  const draw = () => {
    if (cur === null) return;
    const text = `… ${cur} (${((Date.now() - since) / 1000).toFixed(0)} s)`;
    out.write(`\r\x1b[K${text.slice(0, (out.columns || 100) - 1)}`);
  };
  const timer = setInterval(draw, 500);
  timer.unref();
  return {
    line(t) {
      out.write(`\r\x1b[K${t}\n`);
      draw();
    },
    current(t) {
      cur = t;
      since = Date.now();
      if (t === null) out.write('\r\x1b[K');
      else draw();
    },
    end() {
      clearInterval(timer);
      out.write('\r\x1b[K');
    },
  };
}
