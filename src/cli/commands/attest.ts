/**
 * `sealflow attest verify`: verify attestation evidence offline and print its
 * claims. Exit 0 verified (claims JSON on stdout); 1 refused (reason on
 * stderr); 2 usage error or unreadable input.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError, OperationError } from '../../errors.js';
import type { Collateral } from '../../attestation/index.js';
import type { tsmJsonFromParts } from '../../attestation/sev-snp/tsm.js';

interface VerifyFlags {
  readonly evidence: string;
  readonly vcek?: string;
  readonly collateral?: string;
  readonly policy?: string;
  readonly at?: string;
  readonly reportData?: string;
  readonly fetch?: boolean;
  readonly cacheDir?: string;
}

function defaultCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return path.join(xdg !== undefined && xdg !== '' ? xdg : path.join(homedir(), '.cache'), 'sealflow', 'collateral');
}

function readInput(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new InputError(`cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** The evidence file, or a copied configfs-tsm report directory (outblob, auxblob, provider). */
function readEvidence(p: string, fromParts: typeof tsmJsonFromParts): Uint8Array {
  let isDir = false;
  try {
    isDir = statSync(p).isDirectory();
  } catch {
    // readInput reports it
  }
  if (!isDir) return readInput(p, 'evidence file');
  const part = (name: string): Uint8Array | undefined => {
    try {
      return new Uint8Array(readFileSync(path.join(p, name)));
    } catch {
      return undefined;
    }
  };
  const outblob = part('outblob');
  if (!outblob) throw new InputError(`${p} is a directory without an outblob file: give an evidence file or a configfs-tsm report directory`);
  const provider = Buffer.from(part('provider') ?? Buffer.from('sev_guest')).toString('utf8');
  return fromParts(outblob, part('auxblob'), provider);
}

function parseAt(at: string | undefined): Date {
  if (at === undefined) return new Date();
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) throw new InputError(`--at "${at}" is not a time; use ISO 8601, e.g. 2026-01-01 or 2026-01-01T12:00:00Z`);
  return d;
}

function parseReportData(hex: string | undefined): string | undefined {
  if (hex === undefined) return undefined;
  const t = hex.replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t) || t.length > 128) {
    throw new InputError(`--report-data must be at most 64 bytes of hex (up to 128 hex digits); got ${hex.length} characters`);
  }
  return t.toLowerCase();
}

export async function attestVerify(flags: VerifyFlags): Promise<void> {
  // The verifiers (pkijs, asn1js: ~0.9 MB of code) load here, not with the command's registration (`attest --help`).
  const [{ AttestationError, loadCollateral, loadPolicy, verifyEvidence }, { AmdKdsFetcher }, { tsmJsonFromParts }] = await Promise.all([
    import('../../attestation/index.js'),
    import('../../attestation/sev-snp/kds.js'),
    import('../../attestation/sev-snp/tsm.js'),
  ]);
  const evidence = readEvidence(flags.evidence, tsmJsonFromParts);
  const collateral: Collateral = flags.collateral !== undefined ? { ...loadCollateral(flags.collateral) } : {};
  if (flags.vcek !== undefined) collateral.vcek = readInput(flags.vcek, 'VCEK/VLEK certificate');
  const policy = flags.policy !== undefined ? loadPolicy(flags.policy) : undefined;
  const now = parseAt(flags.at);
  const expectedReportData = parseReportData(flags.reportData);
  if (flags.fetch === true || flags.cacheDir !== undefined) {
    // Only a missing SEV-SNP VCEK is fetched (AMD KDS); without --fetch the cache alone is used.
    const kdsUrl = process.env['SEALFLOW_KDS_URL'];
    const fetcher = new AmdKdsFetcher({
      cacheDir: flags.cacheDir ?? defaultCacheDir(),
      ...(kdsUrl !== undefined && kdsUrl !== '' ? { baseUrl: kdsUrl } : {}),
      log: (line) => process.stderr.write(`sealflow: ${line}\n`),
    });
    Object.assign(collateral, await fetcher.complete(evidence, collateral, { now, offline: flags.fetch !== true }));
  }
  if (!policy) {
    process.stderr.write(
      'sealflow: warning: no --policy given: only authenticity was checked (signatures, certificate chains, collateral, TCB' +
        (expectedReportData ? ', report data' : '') +
        '); no measurement, debug or TCB-minimum policy was applied.\n',
    );
  }
  try {
    const claims = await verifyEvidence(evidence, collateral, policy, { now, ...(expectedReportData !== undefined ? { expectedReportData } : {}) });
    process.stdout.write(`${JSON.stringify(claims, null, 2)}\n`);
  } catch (e) {
    if (e instanceof AttestationError) throw new OperationError(`evidence refused: ${e.reason}: ${e.message}`);
    throw e;
  }
}

export function register(program: Command): void {
  const attest = program.command('attest').description('verify TEE attestation evidence (SEV-SNP, TDX, SGX DCAP, sim) offline against the vendors\' roots.');
  attest
    .command('verify')
    .description(
      'Verify evidence and print its claims as JSON (exit 0), or print why it was refused (exit 1). ' +
        'Recognises an SEV-SNP report, configfs-tsm JSON, an SGX/TDX quote or sim evidence by itself.',
    )
    .requiredOption('--evidence <file>', 'the evidence: SNP report (binary), configfs-tsm JSON or report directory (outblob, auxblob, provider), SGX/TDX quote, or sim evidence')
    .option('--vcek <file>', 'the VCEK or VLEK certificate (DER or PEM) for an SEV-SNP report')
    .option('--collateral <path>', 'a collateral directory (vcek.der, ask_ark.pem, tcb-info-response, pck-crl, …), a JSON bundle, or a certificate chain file (PEM/DER: AMD ASK+ARK or VCEK, Intel TCB Signing or PCK CA chain)')
    .option('--policy <file>', 'an attestation policy (YAML, docs/attestation-policy.md); without it only authenticity is checked')
    .option('--at <time>', 'verify as of this time (ISO 8601); default now')
    .option('--report-data <hex>', 'the expected report data (hex, up to 64 bytes, zero-padded)')
    .option('--fetch', 'fetch a missing SEV-SNP VCEK from AMD KDS (network), through the cache')
    .option('--cache-dir <dir>', 'collateral cache (default $XDG_CACHE_HOME/sealflow/collateral); without --fetch only the cache is read')
    .addHelpText(
      'after',
      '\nExamples:\n  sealflow attest verify --evidence report.bin --vcek vcek.der --policy policy.yaml\n  sealflow attest verify --evidence tsm-report.json --at 2026-01-01\n\nExit status: 0 verified, 1 refused (the reason code is printed), 2 usage error or unreadable file.',
    )
    .action(async (flags: VerifyFlags) => attestVerify(flags));
}
