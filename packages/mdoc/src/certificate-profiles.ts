import { encodeTlv } from '@openmyna/core';
import { encodeDistinguishedName, encodeObjectIdentifier, type NameAttribute } from '@openmyna/pki';
import { derExtension, derInteger, derTime, newSerialNumber } from '@openmyna/pki/ca';
import { sha1 } from '@noble/hashes/legacy.js';

import { utf8 } from './bytes.js';
import { MdocError } from './errors.js';
import { ecdsaRawToDer, uncompressedPoint, type EcPrivateKey, type EcPublicKey } from './crypto.js';

/** Object identifiers of ISO/IEC 18013-5 Annex B and of our own reader-authorization extension. */
export const MDOC_OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  /** ISO/IEC 18013-5 Annex B: id-mdl-kp-mdlDS. */
  mdlDs: '1.0.18013.5.1.2',
  /** ISO/IEC 18013-5 Annex B: id-mdl-kp-mdlReaderAuth. */
  mdlReaderAuth: '1.0.18013.5.1.6',
  /**
   * openmyna's extension listing the data elements a reader may request (docs/mdoc.md). A UUID arc
   * (ITU-T X.667, `2.25`) because we hold no registered arc; it is non-critical so other verifiers skip it.
   */
  readerAuthorization: '2.25.122756279971739307901359536644760175242',
} as const;

/** The roles of Annex B: IACA root, document signer, reader CA (root) and reader authentication. */
export type MdocCertificateRole = 'iaca' | 'document-signer' | 'reader-ca' | 'reader';

/** Annex B validity caps, in days: IACA 20 years, DS 457 days, reader 1187 days. */
export const MAX_VALIDITY_DAYS: Readonly<Record<MdocCertificateRole, number>> = {
  iaca: 20 * 366,
  'document-signer': 457,
  'reader-ca': 20 * 366,
  reader: 1187,
};

/** One element a reader may request: docType, namespace and element identifier. */
export interface AuthorizedElement {
  readonly docType: string;
  readonly nameSpace: string;
  readonly elementIdentifier: string;
}

export interface MdocCertificateRequest {
  readonly role: MdocCertificateRole;
  readonly subject: readonly NameAttribute[];
  readonly publicKey: EcPublicKey;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The issuing key; for roots, the subject's own key. */
  readonly issuerKey: EcPrivateKey;
  /** The issuer's certificate fields; absent for a self-signed root. */
  readonly issuer?: { readonly subject: Uint8Array; readonly publicKey: EcPublicKey };
  /** Annex B: issuerAltName (a URI or e-mail of the issuing authority). */
  readonly issuerAltNameUri: string;
  /** Annex B: CRL distribution point of the issuing CA. */
  readonly crlDistributionPointUri?: string;
  /** Readers only: what the reader may request ({@link MDOC_OID.readerAuthorization}). */
  readonly authorizedElements?: readonly AuthorizedElement[];
  readonly randomBytes: (length: number) => Uint8Array;
}

const seq = (parts: readonly Uint8Array[]): Uint8Array => encodeTlv(0x30, parts);
const oid = (value: string): Uint8Array => encodeObjectIdentifier(value);

/** SubjectPublicKeyInfo of a P-256 key (RFC 5480 §2). */
export function ecSubjectPublicKeyInfo(key: EcPublicKey): Uint8Array {
  return seq([
    seq([oid(MDOC_OID.ecPublicKey), oid(MDOC_OID.prime256v1)]),
    encodeTlv(0x03, [Uint8Array.of(0), uncompressedPoint(key)]),
  ]);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value. */
export function ecKeyIdentifier(key: EcPublicKey): Uint8Array {
  return sha1(uncompressedPoint(key));
}

const KEY_USAGE = {
  digitalSignature: Uint8Array.of(0x03, 0x02, 0x07, 0x80),
  // keyCertSign (5) and cRLSign (6): one unused bit.
  certificateAuthority: Uint8Array.of(0x03, 0x02, 0x01, 0x06),
};

function uriGeneralNames(uri: string): Uint8Array {
  return seq([encodeTlv(0x86, utf8(uri))]);
}

/** `ReaderAuthorization ::= SEQUENCE OF SEQUENCE { docType, nameSpace, elementIdentifier UTF8String }`. */
export function encodeReaderAuthorization(elements: readonly AuthorizedElement[]): Uint8Array {
  return seq(
    elements.map((element) =>
      seq([element.docType, element.nameSpace, element.elementIdentifier].map((text) => encodeTlv(0x0c, utf8(text)))),
    ),
  );
}

function extensionsFor(request: MdocCertificateRequest): Uint8Array[] {
  const isCa = request.role === 'iaca' || request.role === 'reader-ca';
  const extensions = [derExtension('2.5.29.14', false, encodeTlv(0x04, ecKeyIdentifier(request.publicKey)))];
  if (request.issuer) {
    extensions.push(
      derExtension('2.5.29.35', false, seq([encodeTlv(0x80, ecKeyIdentifier(request.issuer.publicKey))])),
    );
  }
  extensions.push(derExtension('2.5.29.15', true, isCa ? KEY_USAGE.certificateAuthority : KEY_USAGE.digitalSignature));
  // ISO/IEC 18013-5 Table B.1: basicConstraints CA with pathLenConstraint 0 for the IACA.
  if (isCa) extensions.push(derExtension('2.5.29.19', true, seq([Uint8Array.of(0x01, 0x01, 0xff), derInteger(0n)])));
  extensions.push(derExtension('2.5.29.18', false, uriGeneralNames(request.issuerAltNameUri)));
  if (request.crlDistributionPointUri) {
    const fullName = encodeTlv(0xa0, [encodeTlv(0x86, utf8(request.crlDistributionPointUri))]);
    extensions.push(derExtension('2.5.29.31', false, seq([seq([encodeTlv(0xa0, [fullName])])])));
  }
  if (request.role === 'document-signer') extensions.push(derExtension('2.5.29.37', true, seq([oid(MDOC_OID.mdlDs)])));
  if (request.role === 'reader') {
    extensions.push(derExtension('2.5.29.37', true, seq([oid(MDOC_OID.mdlReaderAuth)])));
    if (request.authorizedElements) {
      extensions.push(
        derExtension(MDOC_OID.readerAuthorization, false, encodeReaderAuthorization(request.authorizedElements)),
      );
    }
  }
  return extensions;
}

/**
 * Issues one certificate of the ISO/IEC 18013-5 Annex B profiles (ECDSA P-256 with SHA-256).
 *
 * @example
 * ```ts
 * const iacaDer = await issueMdocCertificate({ role: 'iaca', subject: [['C', 'JP'], ['CN', 'openmyna IACA']], ... });
 * ```
 */
export async function issueMdocCertificate(request: MdocCertificateRequest): Promise<Uint8Array> {
  const days = (request.notAfter.getTime() - request.notBefore.getTime()) / 86_400_000;
  // ISO/IEC 18013-5 Annex B: each role has a maximum validity; a longer one is refused, not trimmed.
  if (!(days > 0) || days > MAX_VALIDITY_DAYS[request.role]) {
    throw new MdocError(
      'ERR_MDOC_CERTIFICATE',
      `a ${request.role} certificate is valid for at most ${MAX_VALIDITY_DAYS[request.role]} days`,
    );
  }
  if ((request.role === 'iaca' || request.role === 'reader-ca') !== (request.issuer === undefined)) {
    throw new MdocError('ERR_MDOC_CERTIFICATE', 'roots are self-signed and only roots are');
  }
  const subject = encodeDistinguishedName(request.subject);
  const signatureAlgorithm = seq([oid(MDOC_OID.ecdsaWithSha256)]);
  const tbs = seq([
    encodeTlv(0xa0, [derInteger(2n)]),
    // Annex B: positive, at most 20 octets, at least 63 bits of entropy.
    derInteger(newSerialNumber(request.randomBytes)),
    signatureAlgorithm,
    request.issuer?.subject ?? subject,
    seq([derTime(request.notBefore), derTime(request.notAfter)]),
    subject,
    ecSubjectPublicKeyInfo(request.publicKey),
    encodeTlv(0xa3, [seq(extensionsFor(request))]),
  ]);
  const signature = ecdsaRawToDer(await request.issuerKey.signEs256(tbs));
  return seq([tbs, signatureAlgorithm, encodeTlv(0x03, [Uint8Array.of(0), signature])]);
}
