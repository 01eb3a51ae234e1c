/**
 * Stand-in toolchain executables (gramine-manifest, gramine-sgx-sign,
 * gramine-sgx), put first on PATH so a platform's whole launch path runs on
 * a machine without SGX. Each records its arguments and the environment it
 * received in calls.jsonl beside itself. `gramine-sgx` then does what Gramine
 * does with a manifest — and no more: it runs libos.entrypoint with
 * loader.argv and exactly loader.env (Gramine passes no host variable the
 * manifest does not name), natively, in its working directory. It is not an
 * enclave and proves nothing about SGX; it shows what the generated files
 * make run.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers/cli.js';

const TOML = pathToFileURL(path.join(REPO, 'node_modules', 'smol-toml', 'dist', 'index.js')).href;

const PRELUDE = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const log = (o) => fs.appendFileSync(path.join(__dirname, 'calls.jsonl'), JSON.stringify({ tool: path.basename(__filename), args: process.argv.slice(2), envNames: Object.keys(process.env).sort(), ...o }) + '\\n');
`;

const SCRIPTS: Record<string, string> = {
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
};

export interface StandIns {
  readonly bin: string;
  calls(): { tool: string; args: string[]; envNames: string[]; payload?: { entrypoint: string; argv: string[]; env: Record<string, string> } }[];
}

export function standIns(): StandIns {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'sealflow-standins-'));
  for (const [name, body] of Object.entries(SCRIPTS)) {
    writeFileSync(path.join(bin, name), PRELUDE + body);
    chmodSync(path.join(bin, name), 0o755);
  }
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
