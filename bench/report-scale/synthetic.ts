/**
 * A synthetic journal of a large run, with the shapes real journals have
 * (test/fixtures/report/runs/): N steps on W sim workers, each attempt with
 * its key release and outputs, every 50th step retried once, one worker lost
 * halfway (its attempt re-run elsewhere). For the report's scale benchmark
 * and its size test.
 */
import type { RunEvent } from '../../src/engine/events.js';

const hex = (n: number, len = 64) => (n.toString(16).padStart(8, '0').repeat(Math.ceil(len / 8))).slice(0, len);

export function syntheticJournal(steps: number, workers = 32): RunEvent[] {
  const ev: RunEvent[] = [];
  let t = 1_796_600_000_000;
  const ids = Array.from({ length: steps }, (_, i) => `step${i}`);
  ev.push({ type: 'run-started', t, runId: '20261207-000000-abcdef', workflow: '/w/big/flow.yaml', name: 'big', steps: ids, inputs: {}, encrypted: true, concurrency: workers, keepGoing: false, pid: 1, host: 'master' } as RunEvent);
  const measurement = hex(7, 96);
  for (let w = 1; w <= workers; w++) {
    ev.push({ type: 'wcpac', t: ++t, decision: { type: 'attestation', decision: 'accepted', slot: `pool-${w}`, deployment: 'pool', claims: { platform: 'sim', measurement, debug: false, tcbStatus: 'NotApplicable', simulated: true } } } as RunEvent);
    ev.push({ type: 'worker-started', t: ++t, worker: `pool-${w}`, deployment: 'pool', connector: 'local', platform: 'sim', host: 'vm', pid: 1000 + w } as RunEvent);
  }
  let lost: string | undefined;
  for (let i = 0; i < steps; i++) {
    let w = `pool-${(i % workers) + 1}`;
    if (w === lost) w = `pool-${((i + 1) % workers) + 1}`; // a lost worker gets no more work
    const prev = i > 0 ? [{ id: `/r/steps/step${i - 1}/0/o.age`, sha256: hex(i - 1) }] : [{ id: '/in/input.age', sha256: hex(999_999) }];
    let attempts = i % 50 === 49 ? 2 : 1;
    for (let a = 1; a <= attempts; a++) {
      const start = (t += 3);
      ev.push({ type: 'step-started', t: start, step: ids[i] as string, index: 0, attempt: a, worker: w, host: 'vm', hash: hex(i), threads: 1 } as RunEvent);
      ev.push({ type: 'wcpac', t: start + 1, decision: { type: 'key-release', decision: 'released', worker: w, step: `${ids[i]}[0]#${a}`, files: prev } } as RunEvent);
      t += 40 + (i % 17) * 5;
      if (lost === undefined && i === Math.floor(steps / 2)) {
        lost = w;
        ev.push({ type: 'worker-lost', t, worker: w, host: 'vm', reason: 'its connection closed', attempts: [`${ids[i]}[0]#${a}`] } as RunEvent);
        ev.push({ type: 'step-failed', t, step: ids[i] as string, index: 0, attempt: a, exitStatus: null, signal: null, message: 'worker lost', stderrTail: '', willRetry: true, durationMs: 40, workerLost: true } as RunEvent);
        attempts++; // re-run on the next worker
        w = `pool-${((i + 1) % workers) + 1}`;
        continue;
      }
      if (a < attempts) ev.push({ type: 'step-failed', t, step: ids[i] as string, index: 0, attempt: a, exitStatus: 1, signal: null, message: 'exited with status 1', stderrTail: '(encrypted: see the step log)', willRetry: true, durationMs: t - start } as RunEvent);
      else ev.push({ type: 'step-succeeded', t, step: ids[i] as string, index: 0, attempt: a, hash: hex(i), outputs: { o: { class: 'File', path: `/r/steps/${ids[i]}/0/o.age`, size: 300 + (i % 1000), sha256: hex(i) } }, exitStatus: 0, durationMs: t - start } as RunEvent);
    }
  }
  ev.push({ type: 'run-finished', t: t + 5, state: 'succeeded', outputs: {} } as RunEvent);
  return ev;
}
