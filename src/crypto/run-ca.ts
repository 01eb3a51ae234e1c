/**
 * The per-run CA (docs/protocol.md §2): a fresh ECDSA P-256 key whose
 * certificate is signed by the master signing key. It issues the master's
 * TLS server certificate and one client certificate per attested worker,
 * and decides which client certificates the master accepts (issued by this
 * run's CA, valid now, not revoked).
 */
import { X509Certificate, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { derToPem, issueCertificate } from './x509-issue.js';

export interface RunCaSigner {
  readonly signingKey: KeyObject;
  readonly pin: string;
}

export interface ServerCredentials {
  /** PEM: the TLS certificate followed by the run CA certificate. */
  readonly certChainPem: string;
  readonly keyPem: string;
}

const SKEW_MS = 5 * 60 * 1000;

export class RunCa {
  readonly #key: KeyObject;
  readonly #revoked = new Set<string>();

  private constructor(
    readonly runId: string,
    readonly certDer: Uint8Array,
    key: KeyObject,
    /** Client certificates are valid until this time (the run's maximum duration). */
    readonly notAfter: Date,
  ) {
    this.#key = key;
  }

  /** A fresh run CA, certified by the master signing key for `maxDurationMs`. */
  static async create(master: RunCaSigner, runId: string, maxDurationMs: number, now = new Date()): Promise<RunCa> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const notAfter = new Date(now.getTime() + maxDurationMs);
    const der = await issueCertificate({
      subjectCN: `sealflow run CA ${runId}`,
      issuerCN: `sealflow master ${master.pin.slice(0, 16)}`,
      subjectSpki: publicKey.export({ type: 'spki', format: 'der' }),
      issuerKey: master.signingKey,
      notBefore: new Date(now.getTime() - SKEW_MS),
      notAfter,
      ca: true,
    });
    return new RunCa(runId, der, privateKey, notAfter);
  }

  get certPem(): string {
    return derToPem(this.certDer);
  }

  get publicKey(): KeyObject {
    return createPublicKey(this.#key);
  }

  /** The master's TLS server certificate and key for this run. */
  async serverCredentials(now = new Date()): Promise<ServerCredentials> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = await issueCertificate({
      subjectCN: `sealflow master ${this.runId}`,
      issuerCN: `sealflow run CA ${this.runId}`,
      subjectSpki: publicKey.export({ type: 'spki', format: 'der' }),
      issuerKey: this.#key,
      notBefore: new Date(now.getTime() - SKEW_MS),
      notAfter: this.notAfter,
      usage: 'server',
      dnsNames: ['sealflow-master'],
    });
    return { certChainPem: derToPem(der) + this.certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
  }

  /**
   * A worker's certificate for its P-256 identity key (SPKI DER), subject
   * `<run id>/<slot>`: clientAuth (the executor port, §9; other workers'
   * data ports, §15) and serverAuth (its own data port, §15).
   */
  async issueClientCert(identitySpki: Uint8Array, slot: string, now = new Date()): Promise<Uint8Array> {
    const key = createPublicKey({ key: Buffer.from(identitySpki), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new TypeError('a worker identity key is ECDSA P-256');
    return issueCertificate({
      subjectCN: `${this.runId}/${slot}`,
      issuerCN: `sealflow run CA ${this.runId}`,
      subjectSpki: identitySpki,
      issuerKey: this.#key,
      notBefore: new Date(now.getTime() - SKEW_MS),
      notAfter: this.notAfter,
      usage: 'peer',
    });
  }

  /** Refuse this certificate from now on (a worker declared dead). */
  revoke(certDer: Uint8Array): void {
    this.#revoked.add(new X509Certificate(Buffer.from(certDer)).serialNumber);
  }

  /** Serial numbers (as `X509Certificate.serialNumber` spells them) of the revoked certificates. */
  get revokedSerials(): readonly string[] {
    return [...this.#revoked];
  }

  /**
   * Why a presented client certificate is not acceptable, or null: it must be
   * issued (signed) by this run's CA, be valid now and not revoked.
   */
  checkClientCert(certDer: Uint8Array, now = new Date()): string | null {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(certDer));
    } catch {
      return 'the client certificate cannot be parsed';
    }
    if (!cert.verify(this.publicKey)) return "the client certificate was not issued by this run's CA";
    if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return 'the client certificate is not valid now';
    if (this.#revoked.has(cert.serialNumber)) return 'the client certificate was revoked (worker declared dead)';
    return null;
  }
}
