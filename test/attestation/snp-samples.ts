/** The real SEV-SNP samples of shared/testdata/attestation/sev-snp, ready for tests. */
import { readAttestationData } from '../helpers/shared.js';
import { derToPem, pemToDers } from '../../src/attestation/bytes.js';
import { CERT_TABLE_GUIDS } from '../../src/attestation/sev-snp/index.js';

export const rd = (...p: string[]): Uint8Array => readAttestationData('sev-snp', ...p);

export const milanVcek = {
  report: rd('milan-v2-vcek', 'report.bin'),
  vcek: rd('milan-v2-vcek', 'vcek.der'),
  now: new Date('2025-01-01T00:00:00Z'),
  measurement: 'b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01',
  reportData: '0102030405' + '00'.repeat(59),
};

export const milanVirtee = {
  report: rd('milan-v2-virtee', 'report.bin'),
  vcek: rd('milan-v2-virtee', 'vcek.der'),
  askArk: rd('milan-v2-virtee', 'ask_ark.pem'),
  now: new Date('2025-01-01T00:00:00Z'),
  measurement: '7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f',
  reportData: 'd447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd',
};

export const roots = {
  milan: rd('roots', 'ask_ark_milan.pem'),
  milanVlek: rd('roots', 'ask_ark_milan_vlek.pem'),
  genoa: rd('roots', 'ask_ark_genoa.pem'),
  turin: rd('roots', 'ask_ark_turin_vcek.pem'),
};

interface TsmDoc {
  outblob: string;
  auxblob: string;
  provider: string;
}
const tsmJson = rd('genoa-v3-configfs-tsm', 'tsm-report.json');
const tsmDoc = JSON.parse(Buffer.from(tsmJson).toString('utf8')) as TsmDoc;

/** The certificate table entries of the Genoa sample, decoded to DER. */
function tableCerts(aux: Uint8Array): Record<'ark' | 'ask' | 'vcek', Uint8Array> {
  const out: Partial<Record<string, Uint8Array>> = {};
  for (let at = 0; ; at += 24) {
    const guid = Buffer.from(aux.subarray(at, at + 16)).toString('hex');
    const b = Buffer.from(aux);
    const off = b.readUInt32LE(at + 16);
    const len = b.readUInt32LE(at + 20);
    if (/^0+$/.test(guid)) break;
    const name = Object.entries(CERT_TABLE_GUIDS).find(([, g]) => g === guid)?.[0];
    if (name) out[name] = pemToDers(b.subarray(off, off + len).toString('latin1'))[0];
  }
  return out as Record<'ark' | 'ask' | 'vcek', Uint8Array>;
}

/** Build a GHCB certificate table (PEM entries) in the given entry order. */
export function certTable(entries: readonly { name: keyof typeof CERT_TABLE_GUIDS; der: Uint8Array }[]): Uint8Array {
  const header = 24 * (entries.length + 1);
  const pems = entries.map((e) => Buffer.from(derToPem(e.der), 'latin1'));
  const head = Buffer.alloc(header);
  let off = header;
  entries.forEach((e, i) => {
    Buffer.from(CERT_TABLE_GUIDS[e.name], 'hex').copy(head, i * 24);
    head.writeUInt32LE(off, i * 24 + 16);
    head.writeUInt32LE(pems[i]?.length ?? 0, i * 24 + 20);
    off += pems[i]?.length ?? 0;
  });
  return new Uint8Array(Buffer.concat([head, ...pems]));
}

/** configfs-tsm JSON from parts. */
export function tsmEvidence(report: Uint8Array, aux: Uint8Array | undefined, provider = 'sev_guest\n'): Uint8Array {
  const doc: Partial<TsmDoc> = { outblob: Buffer.from(report).toString('base64url'), provider };
  if (aux) doc.auxblob = Buffer.from(aux).toString('base64url');
  return new Uint8Array(Buffer.from(JSON.stringify(doc)));
}

const genoaAux = new Uint8Array(Buffer.from(tsmDoc.auxblob, 'base64url'));
export const genoaTsm = {
  json: tsmJson,
  report: new Uint8Array(Buffer.from(tsmDoc.outblob, 'base64url')),
  aux: genoaAux,
  certs: tableCerts(genoaAux),
  now: new Date('2026-01-01T00:00:00Z'),
  measurement: '7699e6ac12ccdfd1dfac70e649ce1f046cb2afbb003438f4cdddfe2ccbe182fa5ffbe8dcdb930454324e10c52c788980',
  reportData: '4d4944424e48323869696f69736a5079787878787878787878787878787878784d4944424e48323869696f69736a507978787878787878787878787878787878',
};
