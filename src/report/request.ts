/**
 * The live view's gate (docs/report.md, "Live view"): every request is judged
 * here before anything else looks at it. Only `GET` (or `HEAD`) of `/` (the
 * page) or `/events` (the event stream), with `Host` exactly
 * `127.0.0.1:<port>` or `localhost:<port>` (a page on another origin that
 * rebinds a DNS name to 127.0.0.1 sends its own name), and the token in the
 * query — compared in constant time (`src/crypto/constant-time.ts`), on every
 * request, the event stream included.
 */
import { equalSecrets } from '../crypto/constant-time.js';

export type Route = 'page' | 'events';

export type Verdict =
  | { readonly ok: true; readonly route: Route }
  | { readonly ok: false; readonly status: 400 | 403 | 404 | 405 | 421; readonly reason: string };

export interface RequestHead {
  readonly method: string | undefined;
  readonly url: string | undefined;
  /** The `Host` header (undefined: none; an array: sent more than once). */
  readonly host: string | string[] | undefined;
}

/** Longest request target accepted (the page's URL with its token is ~80 bytes). */
export const MAX_URL = 512;

const ROUTES: Readonly<Record<string, Route>> = { '/': 'page', '/events': 'events' };

/** The token in a query string (`token=…`; exactly once), or null. */
function tokenOf(query: string): string | null {
  let found: string | null = null;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if ((eq < 0 ? part : part.slice(0, eq)) !== 'token') continue;
    if (found !== null) return null; // given twice: refused
    found = eq < 0 ? '' : part.slice(eq + 1);
  }
  return found;
}

export function judgeRequest(req: RequestHead, expect: { readonly token: string; readonly port: number }): Verdict {
  if (typeof req.host !== 'string' || (req.host !== `127.0.0.1:${expect.port}` && req.host !== `localhost:${expect.port}`)) {
    return { ok: false, status: 421, reason: 'Host must be 127.0.0.1:port or localhost:port' };
  }
  const url = req.url ?? '';
  if (url.length === 0 || url.length > MAX_URL || url[0] !== '/') return { ok: false, status: 400, reason: 'bad request target' };
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  const token = q < 0 ? null : tokenOf(url.slice(q + 1));
  // The token first: without it, nothing else is revealed (not even which paths exist).
  if (token === null || !equalSecrets(token, expect.token)) return { ok: false, status: 403, reason: 'missing or wrong token' };
  if (req.method !== 'GET' && req.method !== 'HEAD') return { ok: false, status: 405, reason: 'read-only: GET only' };
  const route = Object.hasOwn(ROUTES, pathname) ? ROUTES[pathname] : undefined;
  if (route === undefined) return { ok: false, status: 404, reason: 'not found' };
  return { ok: true, route };
}
