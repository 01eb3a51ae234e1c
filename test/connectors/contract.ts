/**
 * The contract every connector meets (local now; ssh and slurm later). Each
 * connector's test file calls `runConnectorContract` with a factory for its
 * start requests. Behaviour is checked through the execution protocol, the
 * way the engine uses a connector.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connector, StartRequest, WorkerHandle } from '../../src/connectors/connector.js';
import type { AssignMsg, WorkerToMaster } from '../../src/protocol/execution.js';
import { nonePlatform } from '../../src/tee/none/index.js';
import { alive, PATIENCE_MS, until } from '../helpers/wait.js';

export const EXECUTOR = fileURLToPath(new URL('../../src/worker/executor/main.js', import.meta.url));

export interface ConnectorContract {
  readonly connector: Connector;
  /** Connector-specific options (e.g. an ssh host); `{}` for local. */
  readonly options?: Readonly<Record<string, unknown>>;
}

function request(c: ConnectorContract, workDir: string, count: number, entry = EXECUTOR): StartRequest {
  return {
    runId: 'contract',
    deployment: 'pool',
    count,
    platform: nonePlatform,
    program: { entry, files: [], args: [] },
    options: c.options ?? {},
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    workDir,
  };
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
      const ws = await c.connector.start(request(c, dir, 2));
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
      const [w] = await c.connector.start(request(c, dir, 1));
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
      const [w] = await c.connector.start(request(c, dir, 1));
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
      const [w] = await c.connector.start(request(c, dir, 1));
      assert.ok(w);
      w.channel.close();
      const x = await Promise.race([w.exited, new Promise((r) => setTimeout(() => r('timeout'), PATIENCE_MS).unref())]);
      assert.notEqual(x, 'timeout');
      assert.ok(await gone(w.pid));
    });

    test('kill() stops a worker and resolves exited', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const [w] = await c.connector.start(request(c, dir, 1));
      assert.ok(w);
      w.kill();
      const x = await w.exited;
      assert.equal(x.signal, 'SIGKILL');
    });

    test('a worker program that never becomes ready makes start fail with a message naming the worker', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-conn-'));
      const bogus = path.join(dir, 'exits.mjs');
      fs.writeFileSync(bogus, 'process.exit(3);\n');
      await assert.rejects(c.connector.start(request(c, dir, 2, bogus)), /worker pool-\d .*exited before it was ready \(code 3/);
    });
  });
}
