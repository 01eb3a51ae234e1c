/**
 * Off by default. With SEALFLOW_WORKER_CPU_PROF=<dir> in the master's
 * environment, each worker process (plain or attested executor) records a V8
 * CPU profile of itself and writes it to `<dir>/worker-<slot>-<pid>-<part>.cpuprofile`,
 * one part a second (the master SIGKILLs workers at the end of a run). `node --cpu-prof` cannot be passed through NODE_OPTIONS and
 * the attested executor runs from an in-memory bundle, so the profile is taken
 * with node:inspector. Profiles hold code paths and timings, never data.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

export const WORKER_CPU_PROF_ENV = 'SEALFLOW_WORKER_CPU_PROF';

export function startWorkerCpuProfile(name: string): void {
  const dir = process.env[WORKER_CPU_PROF_ENV];
  if (!dir) return;
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  let part = 0;
  // The master SIGKILLs a worker's group when the run ends, so the profile is written in one-second parts.
  const flush = (restart: boolean) =>
    // The in-thread session answers synchronously: the part is written before this returns.
    session.post('Profiler.stop', (err, res) => {
      if (!err && res) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `worker-${name.replace(/[^\w.-]/g, '_')}-${process.pid}-${String(part++).padStart(4, '0')}.cpuprofile`), JSON.stringify(res.profile));
      }
      if (restart) session.post('Profiler.start');
    });
  setInterval(() => flush(true), 1000).unref();
  process.on('exit', () => flush(false));
}
