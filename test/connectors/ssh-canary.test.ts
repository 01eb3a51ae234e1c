/**
 * Names and data stay off the worker hosts (issue 12, "Names and metadata";
 * docs/threat-model.md): a canary planted in an input file's content and
 * name, in a non-file input value, and in the workflow's, the inputs', the
 * step's, the ports' and the output file's names, run through `sealflow run`
 * on an `ssh` host (platform sim), appears nowhere on the host afterwards —
 * its home on disk, `/tmp`, `/dev/shm`, the run directories, as content or
 * as a file name — nor in any command line or environment on the host while
 * the step runs (but the step's own command, whose arguments are the step's
 * data: under sim it is a host process), nor in the run's output (where the
 * workers' diagnostics arrive). The same after a run whose master was
 * SIGKILLed mid-step: its remote processes end, and the next run's sweep
 * removes its run directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { hostsMissing, startHosts, type Host, type Hosts } from '../helpers/hosts.js';
import { simPolicies } from '../helpers/sim-master.js';
import { PATIENCE_MS, sleep } from '../helpers/wait.js';
import { startCli } from '../cli/run-helpers.js';

const skip = hostsMissing();
const C = `sfcanary${randomBytes(8).toString('hex')}`;
/** A regular expression matching the canary whose own text does not contain it (so a scan never finds itself). */
const C_RE = `${C.slice(0, 7)}[${C[7]}]${C.slice(8)}`;

async function eventually(what: string, pred: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + PATIENCE_MS;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`still not true after ${PATIENCE_MS} ms: ${what}`);
    await sleep(50);
  }
}

const FLOW = `name: wf-${C}
inputs:
  in_${C}: { type: file }
  note_${C}: { type: string }
  hold: { type: string, default: '' }
outputs:
  out_${C}: { type: file, from: s_${C}/o_${C} }
steps:
  s_${C}:
    command: [sh, -c, 'cat "$1"; printf "%s\\n" "$2"; printf "%s\\n" "$2" >&2; if [ -n "$3" ]; then while [ ! -e "$3" ]; do sleep 0.05; done; fi', sh, $(x), $(n), $(hold)]
    stdout: out_${C}.txt
    in: { x: in_${C}, n: note_${C}, hold: hold }
    out:
      o_${C}: { type: file, glob: out_${C}.txt }
`;

describe('ssh connector: no name or data of the run on the worker host', { skip }, () => {
  let hosts: Hosts;
  let h: Host;
  let state: string;
  let home: string;
  let gates: string;
  let env: NodeJS.ProcessEnv;
  let flow: string;
  let config: string;
  let input: string;

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-canary-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-canary-home-'));
    gates = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-canary-gates-'));
    hosts = await startHosts(1, { hide: [state, home] });
    h = hosts.hosts[0]!;
    await h.exec('touch ~/.sf-t0');
    fs.mkdirSync(path.join(state, 'tmp'));
    env = { SEALFLOW_HOME: home, TMPDIR: path.join(state, 'tmp') };
    flow = path.join(state, `flow-${C}`);
    fs.mkdirSync(flow);
    fs.writeFileSync(path.join(flow, 'flow.yaml'), FLOW);
    input = path.join(state, `${C}.txt`);
    fs.writeFileSync(input, `secret line ${C}\n`);
    const policy = (await simPolicies(home, state)).remoteSim;
    config = path.join(state, 'ssh.yaml');
    fs.writeFileSync(config, `deployments:\n  cloud: { connector: ssh, platform: sim, workers: 1, host: ${h.address}, user: root, identityFile: ${hosts.identityFile}, knownHosts: ${hosts.knownHostsFile}, policy: ${policy} }\n`);
  });
  after(async () => {
    await hosts?.stopAll();
    for (const d of [state, home, gates]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  const args = (name: string, hold = '') => ['run', flow, '--config', config, '--input', `in_${C}=${input}`, '--input', `note_${C}=value-${C}`, '--input', `hold=${hold}`, '--state-dir', path.join(state, `state-${name}`), '--out', path.join(state, `out-${name}`)];

  /**
   * Files on the host (home, /tmp, /dev/shm) whose content or name holds the
   * canary. /tmp and /dev/shm are shared with the rest of this machine, so
   * only what changed since the test began is read there (the home is the
   * host's own and read whole).
   */
  async function onDisk(): Promise<string> {
    const found = await h.exec(
      `{ find ~ -xdev; find /tmp /dev/shm -xdev -newer ~/.sf-t0; } 2>/dev/null > ~/.sf-list; ` +
        `grep -iE '${C_RE}' ~/.sf-list; tr '\\n' '\\0' < ~/.sf-list | xargs -0 grep -lisE --binary-files=text '${C_RE}' 2>/dev/null; rm -f ~/.sf-list; true`,
      120_000,
    );
    let local = '';
    if (h.homeOnDisk) {
      for (const e of fs.readdirSync(h.homeOnDisk, { recursive: true, withFileTypes: true })) {
        const f = path.join(e.parentPath, e.name);
        if (f.toLowerCase().includes(C) || (e.isFile() && fs.readFileSync(f).toString('latin1').toLowerCase().includes(C))) local += `${f}\n`;
      }
    }
    return (found + local).trim();
  }

  test('after a killed run and a normal one, the canary is in no file, file name, command line, environment or worker diagnostic on the host, and the dead run directory is swept', async () => {
    // 1. A run whose master is SIGKILLed while its step holds on the host.
    const gate = path.join(gates, `gate-${randomBytes(6).toString('hex')}`);
    const cli = startCli([...args('killed', gate), '--json'], state, env);
    await cli.waitFor((e) => e.type === 'step-started');
    await eventually('the step holds at its gate on the host', async () => (await h.exec(`ps -eo args= | grep -c '[g]ate-' || true`)).trim() !== '0');
    // While it runs: no command line or environment on the host carries the canary, but the step's own
    // command (its arguments are the step's data; under sim it is a plain host process) and its children.
    const procs = await h.exec(
      `for p in /proc/[0-9]*; do c=$(tr '\\0' ' ' < $p/cmdline 2>/dev/null); case "$c" in *gate-*|'sleep 0.05 ') continue;; esac; ` +
        `if tr '\\0' '\\n' < $p/cmdline 2>/dev/null | grep -qiE '${C_RE}' || tr '\\0' '\\n' < $p/environ 2>/dev/null | grep -qiE '${C_RE}'; then echo "$p $c"; fi; done`,
    );
    assert.equal(procs.trim(), '', `processes on the host whose command line or environment holds the canary:\n${procs}`);
    cli.child.kill('SIGKILL');
    const killed = await cli.exited;
    fs.writeFileSync(gate, '');
    await eventually('the killed run\'s remote processes are gone', async () => (await h.exec(`ps -eo args= | grep -c '[p]rovisioner\\.mjs' || true`)).trim() === '0');
    const left = (await h.exec('ls -A ~/.sealflow-worker 2>/dev/null || true')).trim().split(/\s+/).filter(Boolean);
    assert.equal(left.length, 1, `the killed run left its (opaque) run directory: ${left.join(' ')}`);
    assert.match(left[0]!, /^[0-9a-f]{24}$/);
    assert.equal(await onDisk(), '', 'after the killed run');
    assert.ok(!(killed.stderr.toLowerCase().includes(`value-${C}`) || killed.stderr.includes(`secret line ${C}`)), 'no data in the killed run\'s diagnostics');

    // 2. A normal run: it sweeps the dead run's directory and removes its own.
    const r = await runCli(args('normal'), { env, cwd: state });
    assert.equal(r.code, 0, r.stderr);
    // stderr carries the workers' diagnostics (stdout ends with the owner's view of the results, decrypted on the owner's machine).
    assert.deepEqual(r.stderr.split('\n').filter((l) => l.includes(`value-${C}`) || l.includes(`secret line ${C}`)), [], 'no data of the step in the diagnostics');
    assert.equal((await h.exec('ls -A ~/.sealflow-worker 2>/dev/null || true')).trim(), '', 'the dead run\'s directory was swept and the run removed its own');
    assert.equal(await onDisk(), '', 'after the normal run');
    const outs = fs.readdirSync(path.join(state, 'out-normal')).filter((f) => f.endsWith('.age'));
    assert.equal(outs.length, 1, outs.join(' '));
    const dec = await runCli(['decrypt', '-i', path.join(home, 'owner-identity.txt'), '-o', path.join(state, 'out.txt'), path.join(state, 'out-normal', outs[0]!)], { env, cwd: state });
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(fs.readFileSync(path.join(state, 'out.txt'), 'utf8'), `secret line ${C}\nvalue-${C}\n`, 'the canary did travel, sealed');
  });
});
