/**
 * Per-step overhead of N trivial steps (`true`, + 1 gather) on attested sim
 * workers of two `ssh` namespace hosts (one deployment per host, `transfers`
 * master and direct), beside the same workflow on local sim workers, in one
 * invocation: the wall time of `sealflow run` (workers' start included), best
 * of --reps, and the marginal ms/step from a line through two sizes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localMaster } from '../../src/master/local-master.js';
import { referenceSimMeasurement } from '../../src/tee/sim/measure.js';
import { startHosts } from '../../test/helpers/hosts.js';
import { writeSealflowSteps } from '../overhead/workloads.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export async function overheadBench(ns: readonly number[], reps: number, workers: number): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-ssh-overhead-'));
  const home = path.join(root, 'home');
  fs.mkdirSync(home);
  process.env['SEALFLOW_HOME'] = home;
  process.env['SEALFLOW_MASTER_PASSPHRASE'] ??= '';
  const hosts = await startHosts(2);
  try {
    const policy = path.join(root, 'remote-sim.yaml');
    fs.writeFileSync(policy, `allowSimulated: true\nallowRemoteSimulation: true\nsim:\n  measurements: [${referenceSimMeasurement((await localMaster(() => undefined)).pin)}]\n`);
    const per = Math.max(1, Math.floor(workers / 2));
    const sshConfig = (transfers: string) =>
      [
        'deployments:',
        ...hosts.hosts.map((h, i) => `  host${i}: { connector: ssh, platform: sim, workers: ${per}, transfers: ${transfers}, host: ${h.address}, user: root, identityFile: ${h.identityFile}, knownHosts: ${h.knownHostsFile}, policy: ${policy} }`),
        'default: host0',
        'bindings:',
        // Odd steps on the second host (the engine places by binding; the gather reads from both).
        '  - { step: gather, deployment: host1 }',
        '',
      ].join('\n');
    const configs: [string, string][] = [
      [`local sim workers (${per * 2})`, `deployments:\n  local: { connector: local, platform: sim, workers: ${per * 2} }\n`],
      [`ssh sim workers (${per} on each of 2 hosts), transfers: master`, sshConfig('master')],
      [`ssh sim workers (${per} on each of 2 hosts), transfers: direct`, sshConfig('direct')],
    ];
    const rows: { tool: string; n: number; seconds: number }[] = [];
    for (const n of ns) {
      const dir = path.join(root, `n${n}`);
      fs.mkdirSync(dir, { recursive: true });
      const flow = writeSealflowSteps(dir, n);
      // Half the steps on each host: bind the odd ones to host1.
      const odd = Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 1).map((i) => `  - { step: s${i}, deployment: host1 }`).join('\n');
      const best = new Map<string, number>();
      for (let r = 0; r < reps; r++) {
        for (const [k, text] of r % 2 === 0 ? configs : [...configs].reverse()) {
          const cfg = path.join(dir, 'sealflow.yaml');
          fs.writeFileSync(cfg, k.startsWith('ssh') ? `${text}${odd}\n` : text);
          const state = path.join(dir, 'state');
          fs.rmSync(state, { recursive: true, force: true });
          const t0 = performance.now();
          const p = spawnSync(process.execPath, [CLI, 'run', flow, '--config', cfg, '--quiet', '--state-dir', state, '--out', path.join(dir, 'out')], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
          const s = (performance.now() - t0) / 1000;
          if (p.status !== 0) throw new Error(`${k}, N=${n}: exit ${p.status}: ${p.stderr.toString().slice(-2000)}`);
          best.set(k, Math.min(best.get(k) ?? Infinity, s));
          fs.rmSync(path.join(dir, 'out'), { recursive: true, force: true });
        }
      }
      for (const [k] of configs) rows.push({ tool: k, n, seconds: best.get(k)! });
    }
    console.log(`overhead: N trivial \`true\` steps + 1 gather, attested sim workers, encrypted; best of ${reps}; ${os.cpus().length} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log('');
    console.log('| workers | N | total s | ms/step |');
    console.log('|---|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.tool} | ${r.n} | ${r.seconds.toFixed(2)} | ${((r.seconds * 1000) / r.n).toFixed(2)} |`);
    const lo = Math.min(...ns);
    const hi = Math.max(...ns);
    if (lo !== hi) {
      console.log('');
      console.log('| workers | fixed s | marginal ms/step | × local |');
      console.log('|---|---:|---:|---:|');
      const marginal = (k: string) => {
        const a = rows.find((r) => r.tool === k && r.n === lo)!;
        const b = rows.find((r) => r.tool === k && r.n === hi)!;
        const m = (b.seconds - a.seconds) / (hi - lo);
        return { m, fixed: a.seconds - m * lo };
      };
      const local = marginal(configs[0]![0]).m;
      for (const [k] of configs) {
        const x = marginal(k);
        console.log(`| ${k} | ${x.fixed.toFixed(2)} | ${(x.m * 1000).toFixed(2)} | ${(x.m / local).toFixed(2)} |`);
      }
    }
  } finally {
    await hosts.stopAll();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
