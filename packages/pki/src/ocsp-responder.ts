import { base64Decode, encodeTlv, OpenMynaError } from '@openmyna/core';
import { sha1 } from '@noble/hashes/legacy.js';

import { derExtension, derGeneralizedTime, signedFields } from './der-writer.js';
import { encodeObjectIdentifier } from './object-identifier.js';
import {
  certIdMatchesIssuer,
  encodeOcspErrorResponse,
  encodeSingleResponse,
  parseOcspRequest,
  subjectPublicKeyBits,
  type CertId,
  type OcspCertStatus,
} from './ocsp.js';
import { OID } from './oids.js';
import type { Signer } from './signer.js';
import { parseCertificate, type X509Certificate } from './x509-certificate.js';
import { CRL_REASON, type CrlReasonName } from './x509-crl.js';

/** What the registry knows about a serial number of this CA. */
export type CertificateState =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revocationTime: Date; readonly reason: CrlReasonName }
  /** 一時停止: reversible; answered as revoked with reason certificateHold (RFC 5280 §5.3.1). */
  | { readonly status: 'suspended'; readonly since: Date }
  /** Never issued by this CA: answered `unknown`, never `good`. */
  | { readonly status: 'never-issued' };

/** Looks serial numbers (lower-case hex) up in the registry. */
export type StatusSource = (serialNumber: string) => Promise<CertificateState>;

/** Options of {@link OcspResponder}. */
export interface OcspResponderOptions {
  /** The CA whose certificates this responder answers for (DER). */
  readonly issuerCertificate: Uint8Array;
  /** The delegated responder certificate (id-kp-OCSPSigning, issued by the same CA) (DER). */
  readonly responderCertificate: Uint8Array;
  readonly responderSigner: Signer;
  readonly statusSource: StatusSource;
  /** The time responses are produced at (STYLE.md 9: injected, as everywhere in the library). */
  readonly clock: () => Date;
  /** How long a response is valid (nextUpdate − thisUpdate). Default 1 hour. */
  readonly validitySeconds?: number;
  /** Pre-produced responses are re-signed this long before they go stale. Default 10 minutes. */
  readonly refreshBeforeSeconds?: number;
}

interface CachedResponse {
  readonly certId: CertId;
  readonly der: Uint8Array;
  readonly refreshAt: number;
}

const MAX_CACHE_ENTRIES = 200_000;

/**
 * An RFC 6960 responder for one CA, signing with a delegated responder key. Requests without a
 * nonce get pre-produced responses (cached per CertID and re-signed before they go stale); a nonce
 * gets a freshly signed response that echoes it. {@link invalidate} drops a serial's cached answer
 * the moment its status changes.
 *
 * @example
 * ```ts
 * const responder = new OcspResponder({
 *   issuerCertificate, responderCertificate, responderSigner, statusSource, clock: () => new Date(),
 * });
 * const response = await responder.respond(requestDer); // DER OCSPResponse
 * ```
 */
export class OcspResponder {
  readonly #issuer: X509Certificate;
  readonly #issuerKeyBits: Uint8Array;
  readonly #responderCertificate: Uint8Array;
  readonly #responderKeyHash: Uint8Array;
  readonly #signer: Signer;
  readonly #source: StatusSource;
  readonly #clock: () => Date;
  readonly #validityMs: number;
  readonly #refreshBeforeMs: number;
  readonly #cache = new Map<string, CachedResponse>();

  constructor(options: OcspResponderOptions) {
    this.#issuer = parseCertificate(options.issuerCertificate);
    this.#issuerKeyBits = subjectPublicKeyBits(this.#issuer);
    this.#responderCertificate = options.responderCertificate;
    this.#responderKeyHash = sha1(subjectPublicKeyBits(parseCertificate(options.responderCertificate)));
    this.#signer = options.responderSigner;
    this.#source = options.statusSource;
    this.#clock = options.clock;
    this.#validityMs = (options.validitySeconds ?? 3600) * 1000;
    this.#refreshBeforeMs = (options.refreshBeforeSeconds ?? 600) * 1000;
  }

  /** Answers a DER OCSPRequest with a DER OCSPResponse; malformed requests get `malformedRequest`. */
  async respond(request: Uint8Array): Promise<Uint8Array> {
    let parsed;
    try {
      parsed = parseOcspRequest(request);
    } catch (error) {
      if (error instanceof OpenMynaError) return encodeOcspErrorResponse('malformedRequest');
      throw error;
    }
    try {
      const now = this.#clock();
      if (!parsed.nonce && parsed.certIds.length === 1) return await this.#preProduced(parsed.certIds[0]!, now);
      return await this.#sign(parsed.certIds, now, parsed.nonce);
    } catch {
      return encodeOcspErrorResponse('internalError');
    }
  }

  /** Answers the GET form: `{url}/{base64 of the DER request}` (RFC 6960 Appendix A.1). */
  async respondToGet(encodedRequest: string): Promise<Uint8Array> {
    let der: Uint8Array;
    try {
      der = base64Decode(decodeURIComponent(encodedRequest));
    } catch {
      return encodeOcspErrorResponse('malformedRequest');
    }
    return this.respond(der);
  }

  /** Forgets the cached answer for a serial; call it whenever the registry changes that serial's status. */
  invalidate(serialNumber: string): void {
    for (const key of [`SHA-1:${serialNumber}`, `SHA-256:${serialNumber}`]) this.#cache.delete(key);
  }

  /**
   * Re-signs the cached responses that are due for refresh, so that clients are served fresh
   * pre-produced answers and never wait for a signature. Run it on a timer; returns how many it renewed.
   */
  async refreshDue(): Promise<number> {
    const now = this.#clock();
    const due = [...this.#cache.values()].filter((cached) => cached.refreshAt <= now.getTime());
    for (const cached of due) await this.#produce(cached.certId, now);
    return due.length;
  }

  async #preProduced(certId: CertId, now: Date): Promise<Uint8Array> {
    const key = `${certId.hashAlgorithm}:${certId.serialNumber}`;
    const cached = this.#cache.get(key);
    if (cached && cached.refreshAt > now.getTime() && this.#matchesIssuer(certId)) return cached.der;
    return this.#produce(certId, now);
  }

  async #produce(certId: CertId, now: Date): Promise<Uint8Array> {
    const key = `${certId.hashAlgorithm}:${certId.serialNumber}`;
    const der = await this.#sign([certId], now, undefined);
    this.#cache.delete(key);
    if (this.#cache.size >= MAX_CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, { certId, der, refreshAt: now.getTime() + this.#validityMs - this.#refreshBeforeMs });
    return der;
  }

  #matchesIssuer(certId: CertId): boolean {
    return certIdMatchesIssuer(certId, this.#issuer.subject, this.#issuerKeyBits);
  }

  async #sign(certIds: readonly CertId[], now: Date, nonce: Uint8Array | undefined): Promise<Uint8Array> {
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + this.#validityMs);
    const responses = await Promise.all(
      certIds.map(async (certId) => ({
        certId,
        certStatus: this.#matchesIssuer(certId)
          ? toCertStatus(await this.#source(certId.serialNumber))
          : ({ status: 'unknown' } as const),
        thisUpdate,
        nextUpdate,
      })),
    );
    const data = [
      encodeTlv(0xa2, [encodeTlv(0x04, this.#responderKeyHash)]),
      derGeneralizedTime(thisUpdate),
      encodeTlv(0x30, responses.map(encodeSingleResponse)),
    ];
    if (nonce)
      data.push(encodeTlv(0xa1, [encodeTlv(0x30, [derExtension(OID.idPkixOcspNonce, false, encodeTlv(0x04, nonce))])]));
    const tbsResponseData = encodeTlv(0x30, data);
    const signature = await this.#signer.sign(tbsResponseData);
    // BasicOCSPResponse: the signed ResponseData, then [0] certs carrying the responder certificate.
    const basic = encodeTlv(0x30, [
      ...signedFields(tbsResponseData, signature),
      encodeTlv(0xa0, [encodeTlv(0x30, [this.#responderCertificate])]),
    ]);
    return encodeTlv(0x30, [
      encodeTlv(0x0a, Uint8Array.of(0)),
      encodeTlv(0xa0, [encodeTlv(0x30, [encodeObjectIdentifier(OID.idPkixOcspBasic), encodeTlv(0x04, basic)])]),
    ]);
  }
}

function toCertStatus(state: CertificateState): OcspCertStatus {
  switch (state.status) {
    case 'good':
      return { status: 'good' };
    case 'revoked':
      return { status: 'revoked', revocationTime: state.revocationTime, reason: CRL_REASON[state.reason] };
    case 'suspended':
      return { status: 'revoked', revocationTime: state.since, reason: CRL_REASON.certificateHold };
    case 'never-issued':
      return { status: 'unknown' };
  }
}
