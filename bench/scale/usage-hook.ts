/**
 * Loaded into the measured master only (`node --import <this> …`): writes its
 * pid when it starts and, when it exits, its own CPU and peak RSS
 * (`process.resourceUsage()`: getrusage(RUSAGE_SELF), maxRSS = VmHWM) to the
 * file named by SCALE_BENCH_USAGE. Workers never load it (they are started
 * without the master's execArgv, with a scrubbed environment).
 */
import fs from 'node:fs';

const out = process.env['SCALE_BENCH_USAGE'];
delete process.env['SCALE_BENCH_USAGE'];
if (out) {
  fs.writeFileSync(`${out}.pid`, String(process.pid));
  process.on('exit', () => {
    const r = process.resourceUsage();
    fs.writeFileSync(out, JSON.stringify({ cpu: (r.userCPUTime + r.systemCPUTime) / 1e6, maxRssKiB: r.maxRSS }));
  });
}
