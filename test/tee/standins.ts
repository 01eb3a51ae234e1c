/**
 * Stand-in toolchain executables (gramine-manifest, gramine-sgx-sign,
 * gramine-sgx; occlum, copy_bom), put first on PATH so a platform's whole launch path runs on
 * a machine without SGX. Each records its arguments and the environment it
 * received in calls.jsonl beside itself. `gramine-sgx` then does what Gramine
 * does with a manifest — and no more: it runs libos.entrypoint with
 * loader.argv and exactly loader.env (Gramine passes no host variable the
 * manifest does not name), natively, in its working directory. It is not an
 * enclave and proves nothing about SGX; it shows what the generated files
 * make run. `occlum run` likewise runs the image's entry with exactly
 * `env.default` (and the `env.untrusted` names, none), chrooted into the
 * image that the stand-in `copy_bom` filled from the generated bill of
 * materials, with the instance's host/ at /host and <bin>/dev at /dev (an
 * unprivileged user and mount namespace; Occlum's own devfs is stood in for
 * by a directory the test fills). `qemu-system-x86_64` (standin-qemu.ts)
 * "boots" a cvm guest the same way: the image's fixed unit, run natively.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers/cli.js';
import { QEMU_SCRIPT, TSM_MODEL } from './standin-qemu.js';

const TOML = pathToFileURL(path.join(REPO, 'node_modules', 'smol-toml', 'dist', 'index.js')).href;

const PRELUDE = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const log = (o) => fs.appendFileSync(path.join(__dirname, 'calls.jsonl'), JSON.stringify({ tool: path.basename(__filename), args: process.argv.slice(2), envNames: Object.keys(process.env).sort(), ...o }) + '\\n');
`;

const SCRIPTS: Record<string, string> = {
  'qemu-system-x86_64': QEMU_SCRIPT,
  'gramine-manifest': `log({});
const [tpl, out] = process.argv.slice(2);
fs.writeFileSync(out, fs.readFileSync(tpl, 'utf8').replaceAll('{{ gramine.libos }}', '/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so').replaceAll('{{ gramine.runtimedir() }}', '/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc'));
`,
  'gramine-sgx-sign': `log({});
const a = process.argv.slice(2);
const arg = (n) => a[a.indexOf(n) + 1];
fs.copyFileSync(arg('--manifest'), arg('--output'));
fs.writeFileSync(arg('--output').replace(/\\.manifest\\.sgx$/, '.sig'), 'stand-in SIGSTRUCT: not signed by anything\\n');
`,
  'gramine-sgx': `(async () => {
  const { parse } = await import(${JSON.stringify(TOML)});
  const name = process.argv[2];
  const m = parse(fs.readFileSync(name + '.manifest.sgx', 'utf8'));
  const argv = m.loader.argv;
  const env = m.loader.env;
  for (const v of Object.values(env)) if (typeof v !== 'string') throw new Error('stand-in gramine-sgx: only fixed loader.env values are supported');
  log({ payload: { entrypoint: m.libos.entrypoint, argv, env } });
  const r = spawnSync(m.libos.entrypoint, argv.slice(1), { env, stdio: 'inherit', argv0: argv[0] });
  process.exit(r.status ?? 1);
})();
`,
  copy_bom: `log({});
const a = process.argv.slice(2);
const bom = a[a.indexOf('-f') + 1];
const root = a[a.indexOf('--root') + 1];
let target = null;
for (const line of fs.readFileSync(bom, 'utf8').split('\\n')) {
  const t = /^  - target: (.*)$/.exec(line);
  if (t) target = JSON.parse(t[1].startsWith('"') ? t[1] : JSON.stringify(t[1]));
  const f = /^      - files: \\[(.*)\\]$/.exec(line);
  if (f) for (const file of JSON.parse('[' + f[1] + ']')) {
    const from = path.resolve(path.dirname(bom), file);
    fs.mkdirSync(path.join(root, target), { recursive: true });
    fs.copyFileSync(from, path.join(root, target, path.basename(file)));
    fs.chmodSync(path.join(root, target, path.basename(file)), fs.statSync(from).mode & 0o777);
  }
}
`,
  occlum: `const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'new') { log({}); fs.mkdirSync(rest[0]); process.exit(0); }
if (cmd === 'build') { log({ edmm: process.env.ENABLE_EDMM ?? null }); process.exit(0); }
if (cmd === 'print') { log({}); console.log('stand-in: no MRENCLAVE'); process.exit(0); }
if (cmd !== 'run') { log({}); process.exit(2); }
const cfg = JSON.parse(fs.readFileSync('Occlum.json', 'utf8'));
const env = {};
for (const kv of cfg.env.default) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
for (const n of cfg.env.untrusted) if (process.env[n] !== undefined) env[n] = process.env[n];
const [entry, ...args] = rest;
if (!cfg.entry_points.some((p) => entry.startsWith(p + '/'))) { log({}); process.exit(1); }
log({ payload: { entrypoint: entry, argv: args, env } });
fs.mkdirSync('image/host', { recursive: true });
fs.mkdirSync('image/dev', { recursive: true });
const r = spawnSync('/usr/bin/unshare', ['--user', '--map-root-user', '--mount', '/bin/sh', '-c', 'mount --bind "$1" image/host && mount --bind "$2" image/dev && shift 2 && exec /usr/sbin/chroot image "$@"', 'occlum-run', path.resolve('host'), path.join(__dirname, 'dev'), entry, ...args], { env, stdio: 'inherit' });
process.exit(r.status ?? 1);
`,
};

export interface StandIns {
  readonly bin: string;
  calls(): { tool: string; args: string[]; envNames: string[]; payload?: { entrypoint: string; argv: string[]; env: Record<string, string> | string[]; type?: string; cmd?: string[] }; edmm?: string | null; refused?: string; exit?: number | null; console?: string }[];
}

export function standIns(): StandIns {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'sealflow-standins-'));
  for (const [name, body] of Object.entries(SCRIPTS)) {
    writeFileSync(path.join(bin, name), PRELUDE + body);
    chmodSync(path.join(bin, name), 0o755);
  }
  mkdirSync(path.join(bin, 'dev'));
  writeFileSync(path.join(bin, 'tsm-model.mjs'), TSM_MODEL);
  return {
    bin,
    calls() {
      let text = '';
      try {
        text = readFileSync(path.join(bin, 'calls.jsonl'), 'utf8');
      } catch {
        return [];
      }
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ReturnType<StandIns['calls']>[number]);
    },
  };
}
