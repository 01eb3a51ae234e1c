/**
 * The live view (docs/report.md, "Live view"): the report page of one run,
 * served read-only on 127.0.0.1, redrawn as the journal grows (server-sent
 * events). It never holds the owner identity: the page is the public report.
 *
 * Guards: bound to 127.0.0.1 whatever the master advertises to workers; a
 * 256-bit token from the CSPRNG, checked on every request (request.ts); no
 * CORS headers; bounded headers, header and request deadlines (a trickle of
 * bytes is cut off), a cap on connections and on event streams; refusals
 * close the connection.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { renderPage } from './html.js';
import { buildModel, type ReportModel } from './model.js';
import { judgeRequest } from './request.js';
import { modelOf, type ReportSource } from './build.js';
import { readJournal } from '../engine/journal.js';

export interface LiveServer {
  /** `http://127.0.0.1:<port>/?token=<token>`: print it once; it is the only way in. */
  readonly url: string;
  readonly port: number;
  /** Reads the journal now (the poll does it every `pollMs`) and pushes a changed model to the open streams; never throws. */
  refresh(): void;
  close(): Promise<void>;
}

export interface ServeOptions {
  readonly port?: number;
  /** How often the journal's size is looked at (ms). */
  readonly pollMs?: number;
  /** Header deadline (ms): a client that has not sent its whole request head by then is cut off. */
  readonly headersTimeoutMs?: number;
  readonly maxConnections?: number;
  readonly maxStreams?: number;
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/** Serves the report of the run in `src`. */
export async function serveRun(src: ReportSource, o: ServeOptions = {}): Promise<LiveServer> {
  const token = randomBytes(32).toString('base64url');
  const journal = path.join(src.dir, 'journal.jsonl');
  let model: ReportModel = modelOf(src);
  let size = fs.statSync(journal).size;
  const streams = new Set<http.ServerResponse>();
  const sockets = new Set<Socket>();
  const headersTimeout = o.headersTimeoutMs ?? 5000;
  const server = http.createServer({
    headersTimeout,
    requestTimeout: headersTimeout * 2,
    keepAliveTimeout: 2000,
    maxHeaderSize: 8192,
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  });
  server.maxConnections = o.maxConnections ?? 64;
  server.maxRequestsPerSocket = 100;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.setTimeout(headersTimeout * 4, () => {
      if (![...streams].some((r) => r.socket === s)) s.destroy();
    });
  });
  server.on('clientError', (_e, s: Socket) => s.destroy());
  let port = 0;
  server.on('request', (req, res) => {
    const v = judgeRequest({ method: req.method, url: req.url, host: req.headers.host }, { token, port });
    if (!v.ok) {
      res.writeHead(v.status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end(`${v.reason}\n`);
      return;
    }
    if (v.route === 'page') {
      const html = renderPage(model, { live: true });
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
      res.end(req.method === 'HEAD' ? undefined : html);
      return;
    }
    if (streams.size >= (o.maxStreams ?? 8)) {
      res.writeHead(503, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('too many event streams\n');
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    res.write(`event: model\ndata: ${JSON.stringify(model)}\n\n`);
    streams.add(res);
    req.socket.setTimeout(0);
    res.on('close', () => streams.delete(res));
  });
  // The journal only grows (append-only); a change of size means new events.
  // Never throws: the live view runs inside `sealflow run --web`, and nothing it reads may stop the run.
  // A journal it cannot read or summarise now keeps the last good model on the page.
  const refresh = () => {
    try {
      const now = fs.statSync(journal, { throwIfNoEntry: false })?.size;
      if (now === undefined || now === size) return;
      const j = readJournal(journal);
      model = buildModel(src.runId, j.events, j.tornTail);
      size = now;
    } catch {
      return;
    }
    const msg = `event: model\ndata: ${JSON.stringify(model)}\n\n`;
    for (const s of streams) s.write(msg);
  };
  const poll = setInterval(refresh, o.pollMs ?? 500);
  poll.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    refresh,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(poll);
        refresh(); // the last events reach the open streams before they end
        for (const s of streams) s.end();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
