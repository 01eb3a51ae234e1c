/**
 * The report page: one self-contained HTML file (docs/report.md). The model
 * travels as JSON inside `<script type="application/json">` (every `<`
 * escaped, so no journal text can close the element); the page's script and
 * styles are inline; a Content-Security-Policy forbids every fetch except,
 * in the live view, the page's own event stream.
 */
import type { ReportModel } from './model.js';
import { PAGE_SCRIPT } from './page-script.js';

/** What only the owner may see, added when `--identity` is given. */
export interface PrivatePart {
  /** The tail of each failed instance's stderr, by `session:step[index]`. */
  readonly stderr: Readonly<Record<string, string>>;
  readonly identityFile: string;
  /** The workflow inputs as the journal recorded them (a file by its base name). */
  readonly inputs: Readonly<Record<string, string>>;
  /** The file name behind each input file label of the key releases (`input 1`). */
  readonly fileNames: Readonly<Record<string, string>>;
}

/** The model plus what the page needs besides the journal. */
export interface PageData extends ReportModel {
  readonly receipt?: { readonly status: string };
  readonly private?: PrivatePart;
}

/** JSON that can sit inside a script element: no `<`, no line separators. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#20252b;color:#fff;padding:12px 20px}header h1{margin:0;font-size:20px}
header .sub{opacity:.8;font-size:12px}
.private{background:#b00020;color:#fff;padding:10px 20px;font-weight:600}
.public{background:#e8f0fe;color:#1a3a6b;padding:8px 20px;font-size:13px}
main{padding:8px 20px 40px}section{margin:18px 0}h2{font-size:16px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:12px;background:#fff}td,th{border:1px solid #e3e3e3;padding:3px 6px;text-align:left;white-space:nowrap;height:15px}
th{background:#f0f2f5;position:sticky;top:0}table.kv td:first-child{font-weight:600;color:#555}
.badge{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;background:#777;font-size:11px}
.badge.succeeded{background:#2e8b57}.badge.retried{background:#e69500}.badge.failed{background:#d62728}.badge.lost{background:#8e44ad}.badge.running{background:#1f77b4}.badge.interrupted{background:#7f8c8d}
.badge.cancelled,.badge.interrupted{background:#666}.badge.ev-hardware{background:#2e8b57}.badge.ev-recorded-evidence{background:#3b6ea5}.badge.ev-simulated{background:#e69500}.badge.ev-none{background:#d62728}.badge.ev-unknown{background:#666}
.tl-wrap{position:relative;height:420px;overflow:auto;border:1px solid #ddd;background:#fff}.tl-wrap canvas{position:absolute;left:0}
.tip{position:absolute;display:none;background:#222;color:#fff;padding:4px 8px;border-radius:4px;font-size:12px;pointer-events:none;max-width:480px;z-index:9}
.legend .sw{display:inline-block;width:12px;height:12px;vertical-align:middle;border-radius:2px}
.vbox{position:relative;height:360px;overflow:auto;border:1px solid #ddd}.vbox table{position:absolute;top:0;left:0}
.note{color:#666;font-size:12px}.failure{background:#fff;border-left:4px solid #d62728;padding:4px 12px;margin:8px 0}
pre.stderr{background:#1e1e1e;color:#eee;padding:8px;overflow:auto;max-height:240px}
#live{font-size:12px;opacity:.8}
`;

/** The whole page. `live`: served by the live view (its script opens the event stream). */
export function renderPage(data: PageData, opts: { readonly live?: boolean } = {}): string {
  const connect = opts.live ? "'self'" : "'none'";
  const csp = `default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src ${connect}; base-uri 'none'; form-action 'none'`;
  const banner = data.private
    ? `<div class="private" id="private-banner">This report holds decrypted content (the tails of encrypted stderr logs) and the run's input values and file names, given with the owner identity ${escapeHtml(data.private.identityFile)}. It is written 0600: keep it as you keep the results.</div>`
    : '<div class="public" id="public-banner">This report shows no plaintext data, no sealed values, no input values and no file names: files appear by a label and their ciphertext SHA-256. Failure logs are encrypted and need the owner identity (<code>sealflow report --identity</code>).</div>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>sealflow run ${escapeHtml(data.run.id)}</title>
<style>${STYLE}</style></head>
<body>
<header><h1>sealflow run report: ${escapeHtml(data.run.name)}</h1><div class="sub">run ${escapeHtml(data.run.id)} · generated ${new Date().toISOString()} ${opts.live ? '· <span id="live">live</span>' : ''}</div></header>
${banner}
<main id="main"><p>This report needs JavaScript to draw its timeline and tables.</p></main>
<script type="application/json" id="sealflow-data">${scriptJson(data)}</script>
<script>${opts.live ? 'window.SEALFLOW_LIVE = true;' : ''}${PAGE_SCRIPT}</script>
</body></html>
`;
}
