/**
 * The scratch sweep an ssh connection runs on its host (src/connectors/ssh/
 * scratch-sweep.ts), run here under `sh` against a scratch base laid out as
 * the ssh connector's workers leave it: `<base>/<run>/<host id>/<pid>/`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SWEEP_SCRATCH } from '../../src/connectors/ssh/scratch-sweep.js';
import { pidNamespace, processStartTime } from '../../src/protocol/scratch.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-scratch-sweep-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A worker directory with a decrypted input in it; `owner` is written as owner.json unless null. */
function worker(base: string, run: string, pid: number, owner: object | null): string {
  const d = path.join(base, run, 'a1b2c3d4e5f60718', String(pid));
  fs.mkdirSync(path.join(d, 'step.0.1.in'), { recursive: true });
  fs.writeFileSync(path.join(d, 'step.0.1.in', 'input'), 'decrypted plaintext');
  if (owner) fs.writeFileSync(path.join(d, 'owner.json'), JSON.stringify(owner));
  return d;
}

function sweep(base: string): number {
  const r = spawnSync('sh', ['-c', SWEEP_SCRATCH, 'sh', base], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('removes the scratch of a worker whose process is gone or whose pid was reused, and keeps a live worker\'s', () => {
  const base = fs.mkdtempSync(path.join(root, 'base-'));
  const start = processStartTime(process.pid);
  assert.ok(typeof start === 'string');
  const pidns = pidNamespace();
  assert.ok(pidns);
  const live = worker(base, 'run-live', process.pid, { pid: process.pid, start, pidns });
  const gone = worker(base, 'run-gone', 4194303, { pid: 4194303, start: '1', pidns });
  const reused = worker(base, 'run-reused', process.pid, { pid: process.pid, start: String(Number(start) + 1), pidns });
  assert.equal(sweep(base), 2);
  assert.ok(fs.existsSync(path.join(live, 'step.0.1.in', 'input')), 'a live worker keeps its scratch');
  assert.ok(!fs.existsSync(gone) && !fs.existsSync(reused));
  assert.ok(!fs.existsSync(path.join(base, 'run-gone')), 'a run directory left empty goes too');
});

test('keeps a worker directory without owner.json (its worker may still be starting) and one whose owner file says nothing usable', () => {
  const base = fs.mkdtempSync(path.join(root, 'base-'));
  const unmarked = worker(base, 'run-a', 4194302, null);
  const garbled = worker(base, 'run-b', 4194301, { pid: 'x; rm -rf /', pidns: pidNamespace() });
  const unnamespaced = worker(base, 'run-c', 4194300, { pid: 4194300, start: '1' });
  assert.equal(sweep(base), 0);
  assert.ok(fs.existsSync(unmarked) && fs.existsSync(garbled) && fs.existsSync(unnamespaced));
});

test("keeps the scratch of a worker of another PID namespace (a container sharing the host's /dev/shm), whose pid means nothing here", () => {
  const base = fs.mkdtempSync(path.join(root, 'base-'));
  const other = worker(base, 'run-other', 4194299, { pid: 4194299, start: '1', pidns: 'pid:[1]' });
  assert.equal(sweep(base), 0);
  assert.ok(fs.existsSync(other));
});

test('does nothing with a base that is missing or a symbolic link', () => {
  const target = fs.mkdtempSync(path.join(root, 'target-'));
  const victim = worker(target, 'run', 4194300, { pid: 4194300, start: '1', pidns: pidNamespace() });
  const link = path.join(root, 'link');
  fs.symlinkSync(target, link);
  assert.equal(sweep(link), 0);
  assert.equal(sweep(path.join(root, 'missing')), 0);
  assert.ok(fs.existsSync(victim));
});
