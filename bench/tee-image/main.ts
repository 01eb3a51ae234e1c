/**
 * What building a deployment's enclave costs the master at run start, with
 * the stand-in toolchains of test/tee/standins.ts (no SGX here: NOT a TEE
 * figure; the real `occlum build` and `gramine-sgx-sign` add their own work):
 * the occlum image cold (esbuild, a real Node single executable with
 * postject, stand-in occlum/copy_bom, the instance archive), the same image
 * again (the build record's reuse: the archive's hash check only), and the
 * gramine enclave (the peer: manifest and stand-in signing), alternating in
 * one invocation. CPU seconds are this process's plus its waited-for
 * children's (user+sys, from /proc/self/stat), beside the load average.
 *
 *   node dist/bench/tee-image/main.js [--reps 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOcclumImage } from '../../src/master/occlum-image.js';
import { buildGramineEnclave } from '../../src/master/gramine-enclave.js';
import { INSTANCE_ARCHIVE } from '../../src/tee/occlum/index.js';
import { standIns } from '../../test/tee/standins.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/tee-image/main.js [--reps 3]

Measures what building a deployment's enclave costs the master at run start, with the stand-in
toolchains of test/tee/standins.ts (NOT a TEE figure: no SGX here): the occlum image cold, the same
image again (reused from its build record), and the gramine enclave, alternating in one invocation;
CPU seconds of this process and its children beside the load average.`);

const TICK = 100; // USER_HZ on Linux

/** CPU seconds of this process and its waited-for children so far. */
function cpu(): number {
  const f = fs.readFileSync('/proc/self/stat', 'utf8').slice(fs.readFileSync('/proc/self/stat', 'utf8').lastIndexOf(')') + 2).split(' ');
  // Fields 14–17 of proc(5) (utime, stime, cutime, cstime) are 11–14 after the state field.
  return [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0) / TICK;
}

async function measure(f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = cpu();
  const t0 = performance.now();
  await f();
  return { wall: (performance.now() - t0) / 1000, cpu: cpu() - c0 };
}

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] ?? 3) || 3;
const tools = standIns();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-bench-tee-image-'));
const key = path.join(work, 'owner-key.pem');
fs.writeFileSync(key, 'stand-in key\n', { mode: 0o600 });
process.env['PATH'] = `${tools.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
const hw = { signingKey: key, attestationRoot: '/dev' };
const pin = 'a'.repeat(64);
const rows: Record<string, { wall: number; cpu: number }[]> = { 'occlum image, cold': [], 'occlum image, reused (build record)': [], 'gramine enclave (peer)': [] };
let size = 0;
try {
  for (let r = 0; r < reps; r++) {
    process.env['SEALFLOW_HOME'] = path.join(work, `home-${r}`); // a fresh cache: cold
    const build = path.join(work, `build-${r}`);
    rows['gramine enclave (peer)']!.push(await measure(async () => buildGramineEnclave(path.join(build, 'g'), 'bench', {}, { signingKey: key, attestationRoot: '/dev/attestation' }, pin)));
    rows['occlum image, cold']!.push(await measure(async () => {
      const files = await buildOcclumImage(path.join(build, 'o'), 'bench', {}, hw, pin);
      size = fs.statSync(files[INSTANCE_ARCHIVE] as string).size;
    }));
    rows['occlum image, reused (build record)']!.push(await measure(() => buildOcclumImage(path.join(build, 'o'), 'bench', {}, hw, pin)));
    fs.rmSync(process.env['SEALFLOW_HOME'], { recursive: true, force: true });
    fs.rmSync(build, { recursive: true, force: true });
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  console.log(`tee-image: the master's enclave build at run start, stand-in toolchains (NOT a TEE); ${reps} rep(s), alternating; ${os.cpus().length} cores; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);
  console.log(`occlum instance archive: ${(size / 2 ** 20).toFixed(1)} MiB\n`);
  console.log('| build | median CPU s (user+sys, with children) | median wall s |');
  console.log('|---|---:|---:|');
  for (const [name, xs] of Object.entries(rows)) console.log(`| ${name} | ${med(xs.map((x) => x.cpu)).toFixed(2)} | ${med(xs.map((x) => x.wall)).toFixed(2)} |`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(tools.bin, { recursive: true, force: true });
}
