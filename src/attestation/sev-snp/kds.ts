/**
 * Optional fetching of a missing VCEK from AMD's Key Distribution Service,
 * through an on-disk cache (docs/attestation-collateral.md). Nothing fetched
 * is trusted for where it came from: the verifier checks it like any VCEK.
 *
 * KDS (AMD pub. 57230, VCEK/KDS interface): GET {base}/vcek/v1/{product}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=[&fmcSPL=]
 * returns the VCEK as DER. hwid is CHIP_ID in hex (Turin: its first 8 bytes).
 * A VCEK never changes for a (chip, TCB), so cached entries never go stale.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
    if (have.vcek !== undefined) return have;
    let report: SnpReport;
    try {
      const tsm = looksLikeTsmJson(evidence) ? parseTsmJson(evidence) : undefined;
      if (tsm?.certTable?.certs.vcek || tsm?.certTable?.certs.vlek) return have; // the evidence carries its certificate
      report = parseReport(tsm ? tsm.report : evidence);
    } catch {
      return have; // not an SEV-SNP report: nothing to fetch; the verifier will say why
    }
    if (report.signingKey !== 0 || report.maskChipKey) return have; // VLEKs are not public; a masked CHIP_ID names no chip
    const known = productFromCpuid(report.cpuid);
    // v2 reports do not say which product they come from: ask for each.
    for (const product of known ? [known] : (['Milan', 'Genoa'] as const)) {
      const file = cacheFile(this.opts.cacheDir, report, product);
      try {
        const der = new Uint8Array(readFileSync(file));
        this.log(`VCEK from cache ${file}`);
        return { ...have, vcek: der };
      } catch {
        // not cached
      }
      if (opts.offline) continue;
      const url = this.baseUrl + vcekPath(report, product);
      try {
        const res = await this.get(url);
        if (res.status !== 200 || res.body[0] !== 0x30) {
          this.log(`KDS ${url}: HTTP ${res.status}`);
          continue;
        }
        mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, res.body);
        renameSync(tmp, file);
        this.log(`VCEK fetched from ${url}, cached in ${file}`);
        return { ...have, vcek: res.body };
      } catch (e) {
        this.log(`KDS ${url}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return have;
  }
}
