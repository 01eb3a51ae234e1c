/**
 * Typed views of the two signed PCS documents, validated field by field.
 * - TCB info v2 (SGX) and v3 (SGX and TDX): Intel PCS API v4, "Get TCB Info",
 *   TcbInfo model: id ("SGX" | "TDX", v3), version, issueDate, nextUpdate,
 *   fmspc, pceId, tcbType (0), tcbEvaluationDataNumber, tdxModule and
 *   tdxModuleIdentities (TDX), tcbLevels[{ tcb, tcbDate, tcbStatus, advisoryIDs }]
 *   where tcb is v2 { sgxtcbcomp01svn … sgxtcbcomp16svn, pcesvn } or v3
 *   { sgxtcbcomponents[16]{svn}, pcesvn, tdxtcbcomponents[16]{svn} }.
 * - Enclave identity v2: "Get Quoting Enclave Identity": id ("QE" | "QVE" |
 *   "TD_QE"), version 2, issueDate, nextUpdate, miscselect(+Mask),
 *   attributes(+Mask), mrsigner, isvprodid, tcbLevels[{ tcb: { isvsvn }, … }].
 */
import type { TcbStatus } from '../verifier.js';
import { fail } from './reader.js';

export interface TcbLevel {
  readonly sgxComponents: readonly number[];
  readonly pceSvn: number;
  readonly tdxComponents?: readonly number[];
  readonly tcbDate: string;
  readonly tcbStatus: TcbStatus;
  readonly advisoryIds: readonly string[];
}

export interface IsvSvnLevel {
  readonly isvSvn: number;
  readonly tcbDate: string;
  readonly tcbStatus: TcbStatus;
  readonly advisoryIds: readonly string[];
}

export interface TdxModuleIdentity {
  readonly id: string;
  readonly mrSigner: string;
  readonly attributes: string;
  readonly attributesMask: string;
  readonly tcbLevels: readonly IsvSvnLevel[];
}

export interface TcbInfo {
  readonly id: 'SGX' | 'TDX';
  readonly version: 2 | 3;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly fmspc: string;
  readonly pceId: string;
  readonly tcbEvaluationDataNumber: number;
  readonly tdxModule?: Omit<TdxModuleIdentity, 'id' | 'tcbLevels'>;
  readonly tdxModuleIdentities: readonly TdxModuleIdentity[];
  readonly tcbLevels: readonly TcbLevel[];
}

export interface EnclaveIdentity {
  readonly id: 'QE' | 'QVE' | 'TD_QE';
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly miscselect: number;
  readonly miscselectMask: number;
  readonly attributes: string;
  readonly attributesMask: string;
  readonly mrSigner: string;
  readonly isvProdId: number;
  readonly tcbEvaluationDataNumber: number;
  readonly tcbLevels: readonly IsvSvnLevel[];
}

const STATUSES: readonly TcbStatus[] = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
];

type Obj = Record<string, unknown>;

class Fields {
  constructor(
    readonly o: Obj,
    readonly what: string,
  ) {}
  static of(v: unknown, what: string): Fields {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('malformed', `${what}: expected a JSON object`);
    return new Fields(v as Obj, what);
  }
  bad(key: string, want: string): never {
    return fail('malformed', `${this.what}: "${key}" must be ${want}`);
  }
  has(key: string): boolean {
    return this.o[key] !== undefined;
  }
  int(key: string, max = 0xffff): number {
    const v = this.o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) this.bad(key, `an integer 0..${max}`);
    return v;
  }
  str(key: string): string {
    const v = this.o[key];
    if (typeof v !== 'string') this.bad(key, 'a string');
    return v;
  }
  hex(key: string, bytes: number): string {
    const v = this.str(key);
    if (v.length !== bytes * 2 || !/^[0-9a-fA-F]*$/.test(v)) this.bad(key, `${bytes} bytes of hex`);
    return v.toLowerCase();
  }
  date(key: string): Date {
    const d = new Date(this.str(key));
    if (Number.isNaN(d.getTime())) this.bad(key, 'an ISO 8601 date');
    return d;
  }
  status(key: string): TcbStatus {
    const v = this.str(key);
    if (!(STATUSES as readonly string[]).includes(v)) this.bad(key, `one of ${STATUSES.join(', ')}`);
    return v as TcbStatus;
  }
  advisories(): string[] {
    const v = this.o['advisoryIDs'];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.bad('advisoryIDs', 'an array of strings');
    return v as string[];
  }
  array(key: string): unknown[] {
    const v = this.o[key];
    if (!Array.isArray(v)) this.bad(key, 'an array');
    return v;
  }
  obj(key: string): Fields {
    return Fields.of(this.o[key], `${this.what}.${key}`);
  }
}

function svnArray(f: Fields, key: string): number[] {
  const arr = f.array(key);
  if (arr.length !== 16) f.bad(key, 'an array of 16 components');
  return arr.map((c, i) => Fields.of(c, `${f.what}.${key}[${i}]`).int('svn', 255));
}

function isvSvnLevels(f: Fields): IsvSvnLevel[] {
  return f.array('tcbLevels').map((l, i) => {
    const lf = Fields.of(l, `${f.what}.tcbLevels[${i}]`);
    return { isvSvn: lf.obj('tcb').int('isvsvn'), tcbDate: lf.str('tcbDate'), tcbStatus: lf.status('tcbStatus'), advisoryIds: lf.advisories() };
  });
}

function tcbLevel(l: unknown, version: 2 | 3, what: string): TcbLevel {
  const lf = Fields.of(l, what);
  const tcb = lf.obj('tcb');
  const common = { pceSvn: tcb.int('pcesvn'), tcbDate: lf.str('tcbDate'), tcbStatus: lf.status('tcbStatus'), advisoryIds: lf.advisories() };
  if (version === 2) {
    const sgxComponents = Array.from({ length: 16 }, (_, i) => tcb.int(`sgxtcbcomp${String(i + 1).padStart(2, '0')}svn`, 255));
    return { sgxComponents, ...common };
  }
  const sgxComponents = svnArray(tcb, 'sgxtcbcomponents');
  if (!tcb.has('tdxtcbcomponents')) return { sgxComponents, ...common };
  return { sgxComponents, tdxComponents: svnArray(tcb, 'tdxtcbcomponents'), ...common };
}

function moduleFields(f: Fields): Omit<TdxModuleIdentity, 'id' | 'tcbLevels'> {
  return { mrSigner: f.hex('mrsigner', 48), attributes: f.hex('attributes', 8), attributesMask: f.hex('attributesMask', 8) };
}

export function parseTcbInfo(v: unknown, what = 'TCB info'): TcbInfo {
  const f = Fields.of(v, what);
  const version = f.int('version');
  if (version !== 2 && version !== 3) fail('unsupported-version', `${what}: version ${version} is not supported (2 and 3 are)`);
  const id = version === 2 ? 'SGX' : f.str('id');
  if (id !== 'SGX' && id !== 'TDX') fail('unsupported-version', `${what}: id "${id}" is not supported (SGX, TDX)`);
  const tcbType = f.int('tcbType');
  if (tcbType !== 0) fail('unsupported-version', `${what}: tcbType ${tcbType} is not supported (0)`);
  const tdxModuleIdentities = f.has('tdxModuleIdentities')
    ? f.array('tdxModuleIdentities').map((m, i) => {
        const mf = Fields.of(m, `${what}.tdxModuleIdentities[${i}]`);
        return { id: mf.str('id'), ...moduleFields(mf), tcbLevels: isvSvnLevels(mf) };
      })
    : [];
  const levels = f.array('tcbLevels').map((l, i) => tcbLevel(l, version, `${what}.tcbLevels[${i}]`));
  if (levels.length === 0) f.bad('tcbLevels', 'a non-empty array');
  const base = {
    id,
    version,
    issueDate: f.date('issueDate'),
    nextUpdate: f.date('nextUpdate'),
    fmspc: f.hex('fmspc', 6),
    pceId: f.hex('pceId', 2),
    tcbEvaluationDataNumber: f.int('tcbEvaluationDataNumber', 0xffffffff),
    tdxModuleIdentities,
    tcbLevels: levels,
  } as const;
  return f.has('tdxModule') ? { ...base, tdxModule: moduleFields(f.obj('tdxModule')) } : base;
}

export function parseEnclaveIdentity(v: unknown, what = 'QE identity'): EnclaveIdentity {
  const f = Fields.of(v, what);
  const version = f.int('version');
  if (version !== 2) fail('unsupported-version', `${what}: version ${version} is not supported (2)`);
  const id = f.str('id');
  if (id !== 'QE' && id !== 'QVE' && id !== 'TD_QE') fail('unsupported-version', `${what}: id "${id}" is not supported (QE, QVE, TD_QE)`);
  const levels = isvSvnLevels(f);
  if (levels.length === 0) f.bad('tcbLevels', 'a non-empty array');
  return {
    id,
    issueDate: f.date('issueDate'),
    nextUpdate: f.date('nextUpdate'),
    miscselect: parseInt(f.hex('miscselect', 4), 16),
    miscselectMask: parseInt(f.hex('miscselectMask', 4), 16),
    attributes: f.hex('attributes', 16),
    attributesMask: f.hex('attributesMask', 16),
    mrSigner: f.hex('mrsigner', 32),
    isvProdId: f.int('isvprodid'),
    tcbEvaluationDataNumber: f.int('tcbEvaluationDataNumber', 0xffffffff),
    tcbLevels: levels,
  };
}
