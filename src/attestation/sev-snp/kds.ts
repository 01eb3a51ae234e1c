/**
 * Optional fetching of a missing VCEK from AMD's Key Distribution Service,
 * through an on-disk cache (docs/attestation-collateral.md). Nothing fetched
 * is trusted for where it came from: the verifier checks it like any VCEK.
 *
 * KDS (AMD pub. 57230, VCEK/KDS interface): GET {base}/vcek/v1/{product}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=[&fmcSPL=]
 * returns the VCEK as DER. hwid is CHIP_ID in hex (Turin: its first 8 bytes).
 * A VCEK never changes for a (chip, TCB), so cached VCEKs never go stale.
 * The ARK's CRL ({base}/{vcek|vlek}/v1/{product}/crl, DER) does: a cached CRL
 * older than `crlMaxAgeHours` is refetched when online, and used as it is
 * offline (the verifier refuses it once past its nextUpdate).
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hex } from '../bytes.js';
import type { CollateralFetcher } from '../collateral.js';
import type { Collateral } from '../verifier.js';
import { decodeTcb, parseReport, productFromCpuid, type Product, type SnpReport } from './report.js';
import { looksLikeTsmJson, parseTsmJson } from './tsm.js';

export const KDS_BASE = 'https://kdsintf.amd.com';

/** The subset of `fetch` the fetcher needs (injectable for tests). */
export type HttpGet = (url: string) => Promise<{ readonly status: number; readonly body: Uint8Array }>;

const defaultGet: HttpGet = async (url) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
};

export interface KdsOptions {
  /** Cache root; entries go under `<cacheDir>/amd/…`. */
  readonly cacheDir: string;
  readonly baseUrl?: string;
  readonly get?: HttpGet;
  /** Receives one line per fetch, cache hit or failure (for stderr). */
  readonly log?: (line: string) => void;
  /** Also get the ARK's CRL (default true). */
  readonly crl?: boolean;
  /** Refetch a cached CRL older than this when online (default 24). */
  readonly crlMaxAgeHours?: number;
}

/** The KDS path (below the base URL) of the VCEK for this report on this product. */
export function vcekPath(report: SnpReport, product: Product): string {
  const tcb = decodeTcb(report.reportedTcb, product);
  const hwid = hex(product === 'Turin' ? report.chipId.subarray(0, 8) : report.chipId);
  const p2 = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  const fmc = product === 'Turin' ? `&fmcSPL=${p2(tcb.fmc)}` : '';
  return `/vcek/v1/${product}/${hwid}?blSPL=${p2(tcb.bootloader)}&teeSPL=${p2(tcb.tee)}&snpSPL=${p2(tcb.snp)}&ucodeSPL=${p2(tcb.microcode)}${fmc}`;
}

function cacheFile(dir: string, report: SnpReport, product: Product): string {
  const t = decodeTcb(report.reportedTcb, product);
  const tcb = [t.bootloader, t.tee, t.snp, t.microcode, ...(product === 'Turin' ? [t.fmc ?? 0] : [])].join('-');
  return path.join(dir, 'amd', product, hex(report.chipId), `vcek-${tcb}.der`);
}

export class AmdKdsFetcher implements CollateralFetcher {
  private readonly baseUrl: string;
  private readonly get: HttpGet;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: KdsOptions) {
    this.baseUrl = opts.baseUrl ?? KDS_BASE;
    this.get = opts.get ?? defaultGet;
    this.log = opts.log ?? (() => undefined);
  }

  async complete(evidence: Uint8Array, have: Collateral, opts: { readonly now: Date; readonly offline: boolean }): Promise<Collateral> {
    let report: SnpReport;
    let carried = false;
    try {
      const tsm = looksLikeTsmJson(evidence) ? parseTsmJson(evidence) : undefined;
      carried = tsm?.certTable?.certs.vcek !== undefined || tsm?.certTable?.certs.vlek !== undefined;
      report = parseReport(tsm ? tsm.report : evidence);
    } catch {
      return have; // not an SEV-SNP report: nothing to fetch; the verifier will say why
    }
    const kind = report.signingKey === 1 ? 'vlek' : 'vcek';
    let product = productFromCpuid(report.cpuid);
    let out = have;
    // VLEKs are not public; a masked CHIP_ID names no chip; the evidence may carry its certificate.
    if (have.vcek === undefined && !carried && report.signingKey === 0 && !report.maskChipKey) {
      const found = await this.vcek(report, product, opts.offline);
      if (found) {
        out = { ...out, vcek: found.der };
        product = found.product;
      }
    }
    if (this.opts.crl !== false && out['amd-crl'] === undefined && product !== undefined) {
      const crl = await this.crl(product, kind, opts.offline);
      if (crl) out = { ...out, 'amd-crl': crl };
    }
    return out;
  }

  private async vcek(report: SnpReport, known: Product | undefined, offline: boolean): Promise<{ der: Uint8Array; product: Product } | undefined> {
    // v2 reports do not say which product they come from: ask for each.
    for (const product of known ? [known] : (['Milan', 'Genoa'] as const)) {
      const file = cacheFile(this.opts.cacheDir, report, product);
      try {
        const der = new Uint8Array(readFileSync(file));
        this.log(`VCEK from cache ${file}`);
        return { der, product };
      } catch {
        // not cached
      }
      if (offline) continue;
      const der = await this.download(this.baseUrl + vcekPath(report, product), file);
      if (der) return { der, product };
    }
    return undefined;
  }

  private async crl(product: Product, kind: 'vcek' | 'vlek', offline: boolean): Promise<Uint8Array | undefined> {
    const file = path.join(this.opts.cacheDir, 'amd', product, `${kind}-crl.der`);
    let cached: Uint8Array | undefined;
    let fresh = false;
    try {
      cached = new Uint8Array(readFileSync(file));
      fresh = Date.now() - statSync(file).mtimeMs < (this.opts.crlMaxAgeHours ?? 24) * 3_600_000;
    } catch {
      // not cached
    }
    if (cached && (fresh || offline)) {
      this.log(`AMD CRL from cache ${file}${fresh ? '' : ' (stale: offline)'}`);
      return cached;
    }
    if (offline) return undefined;
    return (await this.download(`${this.baseUrl}/${kind}/v1/${product}/crl`, file)) ?? cached;
  }

  /** GET a DER object into the cache; undefined (and a log line) on any failure. */
  private async download(url: string, file: string): Promise<Uint8Array | undefined> {
    try {
      const res = await this.get(url);
      if (res.status !== 200 || res.body[0] !== 0x30) {
        this.log(`KDS ${url}: HTTP ${res.status}`);
        return undefined;
      }
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, res.body);
      renameSync(tmp, file);
      this.log(`fetched ${url}, cached in ${file}`);
      return res.body;
    } catch (e) {
      this.log(`KDS ${url}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }
}
