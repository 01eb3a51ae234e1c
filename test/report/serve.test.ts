/**
 * docs/report.md, "Live view": what the server refuses (wrong or missing
 * token, a foreign Host, other methods and paths — the event stream
 * included), that it sends no CORS header, that a flood and a slow trickle
 * do not bring it down, and that its page loads in headless Chromium.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { serveRun, type LiveServer } from '../../src/report/serve.js';
import { CLI } from '../helpers/cli.js';
import { chromiumMissing, load } from './chromium.js';
import { runDir } from './fixtures.js';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function get(port: number, target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, method, headers: { Host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => {
        parts.push(b);
        if (res.headers['content-type'] === 'text/event-stream' && Buffer.concat(parts).includes('\n\n')) res.destroy(); // the first event is enough
      });
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('live view', () => {
  let server: LiveServer;
  let token = '';
  before(async () => {
    server = await serveRun({ dir: runDir('killed'), runId: 'killed' }, { headersTimeoutMs: 500 });
    token = new URL(server.url).searchParams.get('token') ?? '';
  });
  after(() => server.close());

  test('it binds 127.0.0.1 and its token has at least 128 bits', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    assert.ok(Buffer.from(token, 'base64url').length >= 16);
  });

  test('the page and the event stream answer the right token and Host, without CORS headers', async () => {
    const page = await get(server.port, `/?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /sealflow run report/);
    assert.equal(page.headers['access-control-allow-origin'], undefined);
    const local = await get(server.port, `/?token=${token}`, { Host: `localhost:${server.port}` });
    assert.equal(local.status, 200);
    const events = await get(server.port, `/events?token=${token}`);
    assert.equal(events.status, 200);
    assert.match(events.body, /^event: model\ndata: \{/);
    assert.equal(events.headers['access-control-allow-origin'], undefined);
  });

  for (const [what, target] of [
    ['a wrong token', (t: string) => `/?token=${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`],
    ['a missing token', () => '/'],
    ['the token given twice', (t: string) => `/?token=${t}&token=${t}`],
    ['a wrong token on the event stream', () => '/events?token=nope'],
    ['a missing token on the event stream', () => '/events'],
  ] as const) {
    test(`it refuses ${what} with 403 and reveals nothing`, async () => {
      const r = await get(server.port, target(token));
      assert.equal(r.status, 403);
      assert.doesNotMatch(r.body, /sealflow run report|event: model/);
    });
  }

  test('it refuses a foreign Host (DNS rebinding) with 421, even with the right token', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`, `[::1]:${server.port}`]) {
      const r = await get(server.port, `/?token=${token}`, { Host: host });
      assert.equal(r.status, 421, host);
    }
  });

  test('it is read-only: POST is refused with 405 and unknown paths with 404', async () => {
    assert.equal((await get(server.port, `/?token=${token}`, {}, 'POST')).status, 405);
    assert.equal((await get(server.port, `/journal.jsonl?token=${token}`)).status, 404);
  });

  test('a flood of 300 bad requests is refused and the server still serves the page', async () => {
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => get(server.port, `/?token=bad${i}`).catch(() => ({ status: 0 }) as Answer)));
    assert.ok(answers.every((a) => a.status === 403 || a.status === 0 || a.status === 503));
    assert.equal((await get(server.port, `/?token=${token}`)).status, 200);
  });

  test('a client that trickles its request head (slowloris) is cut off at the header deadline, and the server survives', async () => {
    const sock = net.connect(server.port, '127.0.0.1');
    sock.on('error', () => {}); // a reset (the server cuts while we write) is one way of being cut off; 'close' follows it
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET /?token=');
    const trickle = setInterval(() => sock.writable && sock.write('a'), 100);
    await new Promise((r) => sock.once('close', r)); // closed by the server (the test's own time limit is the bound)
    clearInterval(trickle);
    assert.equal((await get(server.port, `/?token=${token}`)).status, 200);
  });

  test('the served page loads in headless Chromium without console errors and shows the run', { skip: chromiumMissing }, async () => {
    const page = await load(server.url);
    assert.deepEqual(page.console, []);
    assert.match(page.dom, /data-rendered="8"/);
  });
});

describe('sealflow serve', () => {
  test('it prints the URL with its token once, serves the page there, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--run-dir', runDir('failed')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        stderr += d;
        const m = /live view: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=[\w-]+)/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    const u = new URL(url);
    const page = await get(Number(u.port), `/?token=${u.searchParams.get('token')}`);
    assert.equal(page.status, 200);
    assert.equal((await get(Number(u.port), '/?token=')).status, 403);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(stderr.split(url).length - 1, 1);
  });
});

describe('live view of a journal that goes bad', () => {
  test('a damaged record appended to the journal keeps the last good view and the server up', async () => {
    const dir = (await import('./fixtures.js')).tmp('sealflow-live-bad-');
    const fs = await import('node:fs');
    const path = await import('node:path');
    fs.copyFileSync(path.join(runDir('ok'), 'journal.jsonl'), path.join(dir, 'journal.jsonl'));
    const server = await serveRun({ dir, runId: 'ok' });
    try {
      const token = new URL(server.url).searchParams.get('token') ?? '';
      fs.appendFileSync(path.join(dir, 'journal.jsonl'), '{"type":"step-started","t":1,"step":"x","index":"bad","attempt":1}\n');
      server.refresh(); // what the poll does: it must not throw
      const events = await get(server.port, `/events?token=${token}`);
      assert.equal(events.status, 200);
      assert.match(events.body, /"state":"succeeded"/, 'the last good model');
      assert.equal((await get(server.port, `/?token=${token}`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
