/**
 * Fuzz targets of the run report (docs/report.md): the live view's request
 * gate, the report built from a damaged or hostile journal, and the check of
 * a received RO-Crate. The gate must
 * let through only the one token and Host; the report must render whatever
 * whole lines a journal holds, or refuse it with an InputError naming the
 * record — never a TypeError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, OperationError } from '../../../src/errors.js';
import { parseJournal } from '../../../src/engine/journal.js';
import { renderPage } from '../../../src/report/html.js';
import { buildModel } from '../../../src/report/model.js';
import { judgeRequest } from '../../../src/report/request.js';
import { buildCrate } from '../../../src/report/crate.js';
import { checkCrate } from '../../../src/report/crate-check.js';
import type { SignedReceipt } from '../../../src/master/receipt/model.js';
import { ReceiptError } from '../../../src/master/receipt/signature.js';
import { scratchDir } from '../scratch.js';
import { REPO } from '../../helpers/cli.js';
import type { FuzzTarget } from '../target.js';

const TOKEN = 'q3bGZ1cPq8Jw0c5xH4f4yNq1n0Xo3rj2c8l9mC6z0aE';
const PORT = 41234;
const enc = (s: string) => new TextEncoder().encode(s);

/** A request head as text: `METHOD URL\nHost: value` (more Host lines: sent more than once). */
function head(b: Uint8Array): { method: string | undefined; url: string | undefined; host: string | string[] | undefined } {
  const lines = new TextDecoder().decode(b).split('\n');
  const [method, url] = (lines[0] ?? '').split(' ');
  const hosts = lines.slice(1).filter((l) => l.startsWith('Host: ')).map((l) => l.slice(6));
  return { method, url, host: hosts.length === 0 ? undefined : hosts.length === 1 ? hosts[0] : hosts };
}

export const targets: FuzzTarget[] = [
  {
    name: 'report-request',
    seeds: () => [
      enc(`GET /?token=${TOKEN}\nHost: 127.0.0.1:${PORT}`),
      enc(`GET /events?token=${TOKEN}\nHost: localhost:${PORT}`),
      enc(`GET /events?token=${TOKEN}&token=x\nHost: evil.example:${PORT}`),
      enc(`POST /?token=${TOKEN.slice(1)}\nHost: 127.0.0.1:${PORT}\nHost: 127.0.0.1:${PORT}`),
    ],
    run: (b) => {
      const h = head(b);
      const v = judgeRequest(h, { token: TOKEN, port: PORT });
      if (!v.ok) throw new InputError(v.reason);
      // Accepted: then it had exactly the token and an allowed Host; anything else is a hole in the gate.
      const query = (h.url ?? '').split('?')[1] ?? '';
      if (!query.split('&').includes(`token=${TOKEN}`) || (h.host !== `127.0.0.1:${PORT}` && h.host !== `localhost:${PORT}`)) throw new Error(`accepted a request it must refuse: ${JSON.stringify(h)}`);
      return v;
    },
    isOwnError: (e) => e instanceof InputError,
  },
  {
    name: 'report-journal',
    seeds: () => [
      ...['ok', 'failed', 'killed'].map((r) => new Uint8Array(fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'report', 'runs', r, 'journal.jsonl')))),
      enc(
        [
          { type: 'run-started', t: 1, runId: 'r', workflow: 'w', name: 'n', steps: ['a'], inputs: {}, concurrency: 1, keepGoing: false, pid: 1, host: 'h' },
          { type: 'wcpac', t: 2, decision: { type: 'key-release', decision: 'released', worker: 7, step: null, files: [null, 3, { id: '/x/steps/a/0/o.age', sha256: 5 }, { id: '/x/steps/a.0/o.age', sha256: 'f' }, { id: `/x/steps/${'a.0'.repeat(20000)}/o.age`, sha256: 'g' }] } },
          { type: 'wcpac', t: 3, decision: { type: 'attestation', decision: 'accepted', slot: 'w1', claims: 'x' } },
          { type: 'step-started', t: 4, step: 'a', index: 0, attempt: 1, worker: 'w1', host: 'h', hash: 'h', usage: 1 },
          { type: 'step-succeeded', t: 5, step: 'a', index: 0, attempt: 1, hash: 'h', outputs: { o: { class: 'File', size: 'big' } }, exitStatus: 0, durationMs: 1, usage: { cpuMs: 'x' } },
        ]
          .map((e) => JSON.stringify(e))
          .join('\n') + '\n',
      ),
    ],
    run: (b) => {
      const { events, tornTail } = parseJournal(Buffer.from(b));
      return renderPage(buildModel('r1', events, tornTail)).length;
    },
    isOwnError: (e) => e instanceof InputError || e instanceof OperationError,
  },
];

/** A received crate: what `receipt verify --ro-crate` reads of its metadata, against the fixture run's receipt. */
const crateScratch = scratchDir('ro-crate-check');
const KILLED = path.join(REPO, 'test', 'fixtures', 'report', 'runs', 'killed');

targets.push({
  name: 'ro-crate-check',
  seeds: async () => {
    const receiptText = fs.readFileSync(path.join(KILLED, 'receipt.json'), 'utf8');
    const { events } = parseJournal(fs.readFileSync(path.join(KILLED, 'journal.jsonl')));
    const { metadata } = buildCrate(JSON.parse(receiptText) as SignedReceipt, receiptText, events);
    return [enc(JSON.stringify(metadata)), enc(JSON.stringify(metadata, null, 1))];
  },
  run: (b) => {
    const dir = crateScratch();
    fs.writeFileSync(path.join(dir, 'ro-crate-metadata.json'), b);
    const receipt = JSON.parse(fs.readFileSync(path.join(KILLED, 'receipt.json'), 'utf8')) as SignedReceipt;
    return checkCrate(dir, { pin: receipt.receipt.master.pin }, path.join(KILLED, 'receipt.json'));
  },
  isOwnError: (e) => e instanceof ReceiptError,
});
