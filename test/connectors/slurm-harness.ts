/**
 * What the slurm run tests share (slurm-run, slurm-login, hybrid-run):
 * a master whose state directory, SEALFLOW_HOME and TMPDIR the cluster's
 * nodes cannot see (covered in their mount namespaces), a shared `workDir`
 * they can, the word-count workflow copied beside a corpus with a canary
 * in it, sim policies (with and without remote simulation), and a running
 * `sealflow run` whose JSON events can be waited on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import type { SlurmCluster } from '../helpers/slurm-cluster.js';
import { decryptOnlyOutput, simPolicies, wordCountCopy } from '../helpers/sim-master.js';
import { PATIENCE_MS } from '../helpers/wait.js';

export interface Master {
  readonly state: string;
  readonly home: string;
  /** On the shared storage: visible on the nodes. */
  readonly workDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly flow: string;
  readonly corpus: string;
  readonly canary: string;
  /** Policy files: sim with remote simulation allowed, and without. */
  readonly remoteSim: string;
  readonly localSim: string;
  run(name: string, config: string, extra?: readonly string[]): Promise<CliResult>;
  /** Starts a run with --json; `events` fills as the run goes. */
  start(name: string, config: string): LiveRun;
  /** The decrypted counts of run `name`. */
  decrypt(name: string): Promise<Buffer>;
  writeConfig(name: string, text: string): string;
  remove(): void;
}

export interface LiveRun {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  /** Resolves with the first event `pred` holds for (fails the test after PATIENCE_MS). */
  next(pred: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly done: Promise<{ code: number | null; signal: string | null; stderr: string }>;
}

export async function makeMaster(prefix: string): Promise<Master> {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-home-`));
  // Short: the sim evidence socket of each worker lives below it.
  const workDir = fs.mkdtempSync('/tmp/sfw-');
  const tmp = path.join(state, 'tmp');
  fs.mkdirSync(tmp);
  const env = { SEALFLOW_HOME: home, TMPDIR: tmp };
  const flow = wordCountCopy(state);
  const canary = `SFCANARY${randomBytes(8).toString('hex')}`;
  const corpus = path.join(state, 'corpus.txt');
  fs.writeFileSync(corpus, `${fs.readFileSync(path.join(flow, 'data', 'sample.txt'), 'utf8')}\n${canary} ${canary}\n`);
  const { remoteSim, localSim } = await simPolicies(home, state);
  const argv = (name: string, config: string) => ['run', flow, '--input', `corpus=${corpus}`, '--state-dir', path.join(state, `state-${name}`), '--out', path.join(state, `out-${name}`), '--config', config];

  return {
    state,
    home,
    workDir,
    env,
    flow,
    corpus,
    canary,
    remoteSim,
    localSim,
    run: (name, config, extra = []) => runCli([...argv(name, config), ...extra], { env, cwd: state }),
    start(name, config) {
      const child = spawn(process.execPath, [CLI, ...argv(name, config), '--json'], { cwd: state, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const events: Record<string, unknown>[] = [];
      const waiters: { pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
      let buf = '';
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      child.stdout!.on('data', (b: Buffer) => {
        buf += b.toString('utf8');
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.startsWith('{')) continue;
          const e = JSON.parse(line) as Record<string, unknown>;
          events.push(e);
          for (const w of waiters.splice(0)) (w.pred(e) ? w.resolve(e) : waiters.push(w));
        }
      });
      const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
      return {
        child,
        events,
        done,
        next(pred) {
          const seen = events.find(pred);
          if (seen) return Promise.resolve(seen);
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no such event within ${PATIENCE_MS} ms; stderr: ${stderr.slice(-2000)}`)), PATIENCE_MS);
            waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
            // With --json a failed run says why in its events, not on stderr: show both.
            void done.then((d) => setTimeout(() => reject(new Error(`the run ended (code ${d.code}, signal ${d.signal}) without such an event; last events: ${JSON.stringify(events.slice(-5))}; stderr: ${stderr.slice(-2000)}`)), 0));
          });
        },
      };
    },
    decrypt: (name) => decryptOnlyOutput(path.join(state, `out-${name}`), home, path.join(state, `${name}.tsv`), { env, cwd: state }),
    writeConfig(name, text) {
      const f = path.join(state, `${name}.yaml`);
      fs.writeFileSync(f, text);
      return f;
    },
    remove() {
      for (const d of [state, home, workDir]) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** The run's receipt (out-<name>/receipt.json). */
export function receiptOf(m: Master, name: string): { workers: { id: string; connector: string; host: string; platform: string; job?: string; statement: string }[]; steps?: { step: string; index: number; worker: string }[] } {
  return (JSON.parse(fs.readFileSync(path.join(m.state, `out-${name}`, 'receipt.json'), 'utf8')) as { receipt: ReturnType<typeof receiptOf> }).receipt;
}

type ReceiptWorker = ReturnType<typeof receiptOf>['workers'][number];

/** The slurm workers in the receipt of run `name`: at least `min`, each naming its job and a node of `cluster` as its host. */
export function slurmWorkersOf(m: Master, name: string, cluster: SlurmCluster, min: number): ReceiptWorker[] {
  const workers = receiptOf(m, name).workers.filter((w) => w.connector === 'slurm');
  assert.ok(workers.length >= min, JSON.stringify(workers));
  for (const w of workers) {
    assert.match(w.job ?? '', /^[0-9]+$/, `worker ${w.id} names its job`);
    assert.ok(cluster.nodes.some((n) => n.name === w.host), `worker ${w.id} ran on a node of the cluster: ${w.host}`);
  }
  return workers;
}

/** The journal events of run `name` (its only run in state-<name>). */
export function journalOf(m: Master, name: string): Record<string, unknown>[] {
  const runs = path.join(m.state, `state-${name}`, 'runs');
  const [id] = fs.readdirSync(runs);
  return fs.readFileSync(path.join(runs, id!, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
