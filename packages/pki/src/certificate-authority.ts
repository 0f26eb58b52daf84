import { calendarDateInJapan, encodeTlv } from '@openmyna/core';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Certificate, Name } from '@peculiar/asn1-x509';

import { buildName, encodeDer, encodeName, parseDer } from './asn1-schema.js';
import { signedFields } from './der-writer.js';
import { PkiError } from './errors.js';
import { assertLintsPass, lintCertificate, type CertificateLintContext, type LintResult } from './lint.js';
import type { NameAttribute } from './name.js';
import {
  buildTbsCertificate,
  endEntityExtensions,
  expectedNotAfter,
  keyIdentifierOf,
  ocspResponderExtensions,
  rootExtensions,
  type HierarchyConfig,
  type JpkiHolder,
} from './profiles.js';
import { verifyCertificationRequest } from './certification-request.js';
import type { Signer } from './signer.js';

/** Random bytes; the CA draws serial numbers from it. Defaults to Web Crypto. */
export type RandomBytes = (length: number) => Uint8Array;

const webRandom: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/** A to-be-signed certificate with everything its lints need; store it before signing. */
export interface PreparedCertificate {
  /** DER TBSCertificate. */
  readonly tbsCertificate: Uint8Array;
  /** Serial number as lower-case hex. */
  readonly serialNumber: string;
  readonly notAfter: Date;
  readonly lintContext: CertificateLintContext;
}

/** A request for a JPKI end-entity certificate. Everything in the certificate comes from `holder`. */
export interface EndEntityRequest {
  readonly profile: 'jpki-signing' | 'jpki-authentication';
  /** The subject's public key (SubjectPublicKeyInfo DER), whose possession was already proven. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly holder: JpkiHolder;
  readonly issuedAt: Date;
  /** Signing certificates end no later than the holder's authentication certificate. */
  readonly notLaterThan?: Date;
}

/** Options of {@link CertificateAuthority.createRoot}. */
export interface RootOptions {
  readonly config: HierarchyConfig;
  readonly signer: Signer;
  /** The CA's distinguished name. */
  readonly name: readonly NameAttribute[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly randomBytes?: RandomBytes;
}

/**
 * One JPKI hierarchy's certificate authority: it builds certificates from registry data, lints every
 * to-be-signed certificate, and only then lets its {@link Signer} sign.
 *
 * @example
 * ```ts
 * const ca = await CertificateAuthority.createRoot({ config, signer, name, notBefore, notAfter });
 * const certificate = await ca.issueEndEntity({ profile: 'jpki-authentication', subjectPublicKeyInfo, holder, issuedAt });
 * ```
 */
export class CertificateAuthority {
  readonly config: HierarchyConfig;
  /** The CA's own certificate (DER). */
  readonly certificate: Uint8Array;
  readonly keyIdentifier: Uint8Array;
  readonly #signer: Signer;
  readonly #randomBytes: RandomBytes;
  readonly #name: Uint8Array;
  /** This CA certificate's own issuer and serial, which end-entity AKIs name (as on the card). */
  readonly #authority: { readonly issuer: Name; readonly serialNumber: Uint8Array };

  constructor(options: {
    config: HierarchyConfig;
    certificate: Uint8Array;
    signer: Signer;
    randomBytes?: RandomBytes;
  }) {
    const parsed = parseDer(options.certificate, Certificate, 'CA certificate');
    const spki = encodeDer(parsed.tbsCertificate.subjectPublicKeyInfo);
    if (bytesToHex(spki) !== bytesToHex(options.signer.publicKeyInfo)) {
      throw new PkiError('ERR_CA_STATE', 'the signer key does not belong to the CA certificate');
    }
    this.config = options.config;
    this.certificate = options.certificate;
    this.keyIdentifier = keyIdentifierOf(spki);
    this.#signer = options.signer;
    this.#randomBytes = options.randomBytes ?? webRandom;
    this.#name = encodeDer(parsed.tbsCertificate.subject);
    this.#authority = {
      issuer: parsed.tbsCertificate.issuer,
      serialNumber: new Uint8Array(parsed.tbsCertificate.serialNumber),
    };
  }

  /** Creates a self-signed root for a hierarchy (linted like every other certificate). */
  static async createRoot(options: RootOptions): Promise<CertificateAuthority> {
    const name = buildName(options.name);
    const randomBytes = options.randomBytes ?? webRandom;
    const tbs = buildTbsCertificate({
      serialNumber: newSerialNumber(randomBytes),
      issuer: name,
      subject: name,
      subjectPublicKeyInfo: options.signer.publicKeyInfo,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      extensions: rootExtensions(options.signer.publicKeyInfo),
    });
    const tbsCertificate = encodeDer(tbs);
    const certificate = await signTbs(tbsCertificate, options.signer, {
      profile: 'ca-root',
      issuerName: encodeName(name),
    });
    return new CertificateAuthority({ config: options.config, certificate, signer: options.signer, randomBytes });
  }

  /** DER of this CA's subject name. */
  get name(): Uint8Array {
    return this.#name;
  }

  /** Builds and lints a JPKI end-entity certificate without signing it. */
  prepareEndEntity(request: EndEntityRequest): PreparedCertificate {
    const issuedOn = calendarDateInJapan(request.issuedAt);
    const notAfter = expectedNotAfter(request.holder, issuedOn, request.notLaterThan);
    const subject =
      request.profile === 'jpki-signing'
        ? buildName([
            ['C', 'JP'],
            ['L', request.holder.prefecture],
            ['L', request.holder.municipality],
            ['CN', this.#opaqueCommonName(request.holder.municipalityCode)],
          ])
        : buildName([
            ['C', 'JP'],
            ['CN', this.#opaqueCommonName(request.holder.municipalityCode)],
          ]);
    const serialNumber = newSerialNumber(this.#randomBytes);
    const tbs = buildTbsCertificate({
      serialNumber,
      issuer: parseDer(this.#name, Name, 'issuer name'),
      subject,
      subjectPublicKeyInfo: request.subjectPublicKeyInfo,
      notBefore: request.issuedAt,
      notAfter,
      extensions: endEntityExtensions({
        profile: request.profile,
        config: this.config,
        holder: request.holder,
        subjectPublicKeyInfo: request.subjectPublicKeyInfo,
        issuerKeyIdentifier: this.keyIdentifier,
        authority: this.#authority,
      }),
    });
    return this.#prepared(encodeDer(tbs), serialNumber, notAfter, {
      profile: request.profile,
      issuerName: this.#name,
      issuerKeyIdentifier: this.keyIdentifier,
      config: this.config,
      holder: request.holder,
      expectedNotAfter: notAfter,
    });
  }

  /** Lints the prepared certificate again, then signs it. A lint failure signs nothing. */
  async signCertificate(prepared: PreparedCertificate): Promise<Uint8Array> {
    return signTbs(prepared.tbsCertificate, this.#signer, prepared.lintContext);
  }

  /** `prepareEndEntity` and `signCertificate` in one step. */
  async issueEndEntity(request: EndEntityRequest): Promise<Uint8Array> {
    return this.signCertificate(this.prepareEndEntity(request));
  }

  /**
   * Checks a PKCS#10 request's proof of possession, then issues from registry data alone: nothing
   * but the public key is taken from the request.
   */
  async issueFromRequest(
    request: Omit<EndEntityRequest, 'subjectPublicKeyInfo'> & { certificationRequest: Uint8Array },
  ): Promise<Uint8Array> {
    const { subjectPublicKeyInfo } = await verifyCertificationRequest(request.certificationRequest);
    const { certificationRequest: _request, ...rest } = request;
    return this.issueEndEntity({ ...rest, subjectPublicKeyInfo });
  }

  /** A delegated OCSP responder certificate for this hierarchy (RFC 6960 §4.2.2.2). */
  async issueOcspResponder(options: {
    subjectPublicKeyInfo: Uint8Array;
    commonName: string;
    notBefore: Date;
    notAfter: Date;
  }): Promise<Uint8Array> {
    const serialNumber = newSerialNumber(this.#randomBytes);
    const tbs = buildTbsCertificate({
      serialNumber,
      issuer: parseDer(this.#name, Name, 'issuer name'),
      subject: buildName([
        ['C', 'JP'],
        ['CN', options.commonName],
      ]),
      subjectPublicKeyInfo: options.subjectPublicKeyInfo,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      extensions: ocspResponderExtensions(options.subjectPublicKeyInfo, this.keyIdentifier),
    });
    return signTbs(encodeDer(tbs), this.#signer, {
      profile: 'ocsp-responder',
      issuerName: this.#name,
      issuerKeyIdentifier: this.keyIdentifier,
    });
  }

  /** Signs arbitrary to-be-signed bytes with the CA key (CRLs; callers lint first). */
  async signWithCaKey(data: Uint8Array): Promise<Uint8Array> {
    return this.#signer.sign(data);
  }

  #prepared(
    tbsCertificate: Uint8Array,
    serial: Uint8Array,
    notAfter: Date,
    lintContext: CertificateLintContext,
  ): PreparedCertificate {
    assertLintsPass(lintCertificate(tbsCertificate, lintContext), 'the certificate');
    return { tbsCertificate, serialNumber: bytesToHex(serial), notAfter, lintContext };
  }

  #opaqueCommonName(municipalityCode: string): string {
    // Real JPKI CNs are 14 opaque characters, the municipality code and a 4-character suffix
    // (card-spec §4.2, inferred from two samples); ours follow the shape with random characters.
    const alphabet = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
    const random = this.#randomBytes(14);
    const opaque = Array.from(random, (byte) => alphabet[byte % alphabet.length]).join('');
    return `${opaque}${municipalityCode}003A`;
  }
}

/** Lints a DER TBSCertificate and, only if every lint passes, signs it into a Certificate. */
export async function signTbs(
  tbsCertificate: Uint8Array,
  signer: Signer,
  context: CertificateLintContext,
): Promise<Uint8Array> {
  const results: LintResult[] = lintCertificate(tbsCertificate, context);
  assertLintsPass(results, 'the certificate');
  const signature = await signer.sign(tbsCertificate);
  return assembleSigned(tbsCertificate, signature);
}

/**
 * `SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING signature }` around the exact bytes that were
 * linted and signed (RFC 5280 §4.1; the same shape serves TBSCertList, RFC 5280 §5.1).
 */
export function assembleSigned(tbs: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeTlv(0x30, signedFields(tbs, signature));
}

/** 16 random bytes, positive and without a leading zero byte: 121–127 bits (RFC 5280 §4.1.2.2). */
export function newSerialNumber(randomBytes: RandomBytes): Uint8Array {
  const serial = randomBytes(16).slice();
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial;
}
