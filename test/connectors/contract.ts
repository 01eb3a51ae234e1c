/**
 * The contract every connector meets (local here; ssh and slurm are tested
 * end to end against real hosts and a real cluster: ssh-run, slurm-run,
 * hybrid-run). Each connector's test file calls `runConnectorContract`.
 * Launching is checked on its own (files shipped into a fresh directory,
 * the platform's command run there, exit, kill, wipe, reap, the directory
 * removed); a plain worker's behaviour is checked through the execution
 * protocol, started the way the engine starts one (src/engine/worker-start.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connector, LaunchRequest, WorkerHandle } from '../../src/connectors/connector.js';
import { startAll, startPlainWorker, type LaunchContext } from '../../src/engine/worker-start.js';
import type { AssignMsg, WorkerToMaster } from '../../src/protocol/execution.js';
import { nonePlatform } from '../../src/tee/none/index.js';
import { alive, PATIENCE_MS, until } from '../helpers/wait.js';

export interface ConnectorContract {
  readonly connector: Connector;
  /** Connector-specific options (e.g. an ssh host); `{}` for local. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Whether a path exists on the worker host (default: on this machine). */
  readonly exists?: (p: string) => Promise<boolean>;
}

const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

function context(c: ConnectorContract, base: string): LaunchContext {
  return { runId: 'contract', connector: c.connector, platform: nonePlatform, env, localBase: base };
}

function start(c: ConnectorContract, base: string, count: number, entry?: string): Promise<WorkerHandle[]> {
  const slots = Array.from({ length: count }, (_, i) => `pool-${i + 1}`);
  return startAll(slots, (slot) => startPlainWorker(context(c, base), { id: 'pool', options: c.options ?? {} }, slot, entry));
}

/** A launch of `script` (a Node program) under platform none, without IPC; `args` is told the worker's directory. */
function launchRequest(c: ConnectorContract, base: string, script: string, files: Record<string, string>, args: (dir: string) => readonly string[]): LaunchRequest {
  return { runId: 'contract', slot: 'pool-1', deployment: 'pool', options: c.options ?? {}, platform: nonePlatform, program: { entry: script, files, args }, env, localBase: base };
}

function assign(dir: string, id: string, argv: string[], outputs: AssignMsg['outputs'] = []): AssignMsg {
  return {
    type: 'assign',
    id,
    label: id,
    exec: { kind: 'command', argv, shell: false, stdout: 'out.txt', env: {}, globs: { out: 'out.txt' } },
    inputs: {},
    outputs,
    threads: 1,
    scratchDir: path.join(dir, 'scratch', id),
    outDir: path.join(dir, 'steps', id),
    logBase: path.join(dir, 'logs', id),
  };
}

/** The attempt's final answer (succeeded, failed or cancelled); `started` messages are collected in `seen`. */
function next(w: WorkerHandle, id: string, seen: WorkerToMaster[] = []): Promise<WorkerToMaster> {
  return new Promise((resolve) =>
    w.channel.onMessage((m) => {
      if (!('id' in m) || m.id !== id) return;
      if (m.type === 'started') seen.push(m);
      else resolve(m);
    }),
  );
}

/** Waits (generously: a slow machine only makes it slower) until the process is gone. */
const gone = (pid: number): Promise<boolean> => until(() => !alive(pid));

export function runConnectorContract(c: ConnectorContract): void {
  describe(`connector contract: ${c.connector.name}`, () => {
    test('starts the requested workers, each ready with an id, host and pid', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const ws = await start(c, dir, 2);
      try {
        assert.deepEqual(ws.map((w) => w.id), ['pool-1', 'pool-2']);
        for (const w of ws) {
          assert.ok(w.host.length > 0);
          assert.ok(w.pid > 0);
        }
      } finally {
        for (const w of ws) w.kill();
      }
    });

    test('a worker runs an assigned command in its scratch directory, reports its process group, and returns its outputs', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const [w] = await start(c, dir, 1);
      assert.ok(w);
      try {
        const a = assign(dir, 'a1', ['sh', '-c', 'pwd; echo "$HOME"'], [{ id: 'out', type: { kind: 'file' }, optional: false }]);
        const seen: WorkerToMaster[] = [];
        const reply = next(w, 'a1', seen);
        w.channel.send(a);
        const r = await reply;
        assert.equal(r.type, 'succeeded', JSON.stringify(r));
        assert.equal(seen.length, 1);
        assert.ok(seen[0]?.type === 'started' && seen[0].pgid > 0);
        const out = r.type === 'succeeded' ? (r.outputs['out'] as { path: string }) : { path: '' };
        assert.equal(fs.readFileSync(out.path, 'utf8'), `${a.scratchDir}\n${a.scratchDir}\n`);
        assert.equal(path.dirname(out.path), a.outDir);
        assert.equal(fs.existsSync(a.scratchDir), false, 'scratch is removed after the attempt');
      } finally {
        w.kill();
      }
    });

    test('cancel stops the attempt and everything it started', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const [w] = await start(c, dir, 1);
      assert.ok(w);
      try {
        const pidFile = path.join(dir, 'pid');
        const reply = next(w, 'c1');
        w.channel.send(assign(dir, 'c1', ['sh', '-c', `sleep 60 & echo $! > ${pidFile}; wait`]));
        assert.ok(await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n')), 'the command started its grandchild');
        w.channel.send({ type: 'cancel', id: 'c1' });
        assert.equal((await reply).type, 'cancelled');
        assert.ok(await gone(Number(fs.readFileSync(pidFile, 'utf8'))), 'the grandchild was killed with its group');
      } finally {
        w.kill();
      }
    });

    test('a worker exits by itself when its channel to the master closes', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const [w] = await start(c, dir, 1);
      assert.ok(w);
      w.channel.close();
      const x = await Promise.race([w.exited, new Promise((r) => setTimeout(() => r('timeout'), PATIENCE_MS).unref())]);
      assert.notEqual(x, 'timeout');
      assert.ok(await gone(w.pid));
    });

    test('kill() stops a worker and resolves exited', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const [w] = await start(c, dir, 1);
      assert.ok(w);
      w.kill();
      const x = await w.exited;
      assert.equal(x.signal, 'SIGKILL');
    });

    test('a worker program that never becomes ready makes start fail with a message naming the worker', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const bogus = path.join(dir, 'exits.mjs');
      fs.writeFileSync(bogus, 'process.exit(3);\n');
      await assert.rejects(start(c, dir, 2, bogus), /worker pool-\d .*exited before it was ready \(code 3/);
    });

    test('launch ships the files beside the program into a fresh directory, runs it there, and removes the directory when it exits', async () => {
      const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const script = path.join(base, 'check.mjs');
      fs.writeFileSync(script, "import fs from 'node:fs';\nconst [f, want] = process.argv.slice(2);\nconst here = fs.realpathSync(process.cwd()) === fs.realpathSync(f.slice(0, f.lastIndexOf('/')));\nprocess.exit(here && fs.readFileSync(f, 'utf8') === want ? 0 : 5);\n");
      const data = path.join(base, 'data.txt');
      fs.writeFileSync(data, 'shipped\n');
      let dir = '';
      const w = await c.connector.launch(launchRequest(c, base, script, { 'x1': data }, (d) => ((dir = d), [`${d}/x1`, 'shipped\n'])));
      assert.ok(w.pid > 0 && w.host.length > 0);
      assert.deepEqual(await w.exited, { code: 0, signal: null }, 'the program read its shipped file in its own directory');
      assert.ok(dir.length > 0);
      assert.equal(await (c.exists ?? (async (p) => fs.existsSync(p)))(dir), false, 'the directory is gone once the worker is');
    });

    test('kill() stops a launched process and its group; reap() stops groups it reported; wipe() deletes directories on its host', async () => {
      const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const pidFile = path.join(base, 'grandchild.pid');
      const script = path.join(base, 'spawn.mjs');
      // A grandchild in a process group of its own (as a command is), and the launched process waiting forever.
      fs.writeFileSync(script, `import { spawn } from 'node:child_process';\nimport fs from 'node:fs';\nconst g = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });\nfs.writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));\nsetInterval(() => undefined, 1000);\n`);
      const w = await c.connector.launch(launchRequest(c, base, script, {}, () => []));
      assert.ok(await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').length > 0), 'the grandchild started');
      const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
      w.kill();
      assert.equal((await w.exited).signal, 'SIGKILL');
      assert.ok(await gone(w.pid));
      assert.ok(alive(grandchild), 'a group of its own outlives the worker');
      w.reap([grandchild]);
      assert.ok(await gone(grandchild), 'reap stops the group it reported');
      const left = path.join(base, 'scratch-left');
      fs.mkdirSync(path.join(left, 'inner'), { recursive: true });
      w.wipe([left]);
      assert.equal(fs.existsSync(left), false);
    });

    test('a program that cannot be started makes launch fail, or exit at once, naming nothing secret', async () => {
      const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const missing = path.join(base, 'no-such-program.mjs');
      const r = await c.connector.launch(launchRequest(c, base, missing, {}, () => [])).then(
        (w) => w.exited,
        (e: unknown) => e,
      );
      if (r instanceof Error) assert.match(r.message, /worker pool-1/);
      else assert.notEqual((r as { code: number | null }).code, 0);
    });
  });
}
