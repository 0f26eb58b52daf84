import { encodeTlv } from '@openmyna/core';

import { signedFields } from './der-writer.js';
import { children, readAlgorithmIdentifier, readBitStringBytes, readDer, readSmallInteger, TAG } from './der-reader.js';
import { PkiError } from './errors.js';
import { encodeDistinguishedName, type NameAttribute } from './name.js';
import type { Signer } from './signer.js';
import { verifySignature, type SignatureBackend } from './verify-signature.js';

/**
 * A PKCS#10 certification request (RFC 2986) signed by the key it carries: proof of possession.
 * The subject name in it is informational only; the CA builds certificates from registry data.
 *
 * @example
 * ```ts
 * const csr = await createCertificationRequest(phoneKey);
 * const { subjectPublicKeyInfo } = await verifyCertificationRequest(csr);
 * ```
 */
export async function createCertificationRequest(
  signer: Signer,
  subject: readonly NameAttribute[] = [['C', 'JP']],
): Promise<Uint8Array> {
  const info = encodeTlv(0x30, [
    encodeTlv(0x02, Uint8Array.of(0)),
    encodeDistinguishedName(subject),
    signer.publicKeyInfo,
    encodeTlv(0xa0, []),
  ]);
  return encodeTlv(0x30, signedFields(info, await signer.sign(info)));
}

/** What a verified request yields: only the key. */
export interface VerifiedCertificationRequest {
  readonly subjectPublicKeyInfo: Uint8Array;
}

/**
 * Parses a PKCS#10 request and checks its self-signature (RFC 2986 §4.2): `ERR_CERTIFICATE_REQUEST`
 * for a malformed request, `ERR_PROOF_OF_POSSESSION` when the signature does not verify under the
 * key it carries.
 */
export async function verifyCertificationRequest(
  request: Uint8Array,
  backend?: SignatureBackend,
): Promise<VerifiedCertificationRequest> {
  let info, algorithm, signature, subjectPublicKeyInfo;
  try {
    const [infoObject, algorithmObject, signatureObject, extra] = children(
      readDer(request, 'CertificationRequest'),
      TAG.SEQUENCE,
      'CertificationRequest',
    );
    if (extra) throw new PkiError('ERR_CERTIFICATE_REQUEST', 'the request has fields after the signature');
    const [version, subject, spki, attributes, more] = children(infoObject, TAG.SEQUENCE, 'CertificationRequestInfo');
    if (
      readSmallInteger(version, 'version') !== 0 ||
      subject?.tag !== TAG.SEQUENCE ||
      attributes?.tag !== 0xa0 ||
      more
    ) {
      throw new PkiError('ERR_CERTIFICATE_REQUEST', 'CertificationRequestInfo is malformed');
    }
    children(spki, TAG.SEQUENCE, 'subjectPKInfo');
    info = infoObject!.raw;
    subjectPublicKeyInfo = spki!.raw;
    algorithm = readAlgorithmIdentifier(algorithmObject, 'signatureAlgorithm');
    signature = readBitStringBytes(signatureObject, 'signature');
  } catch (error) {
    if (error instanceof PkiError && error.code === 'ERR_CERTIFICATE_REQUEST') throw error;
    throw new PkiError('ERR_CERTIFICATE_REQUEST', 'the certification request is not a well-formed PKCS#10 request', {
      cause: error,
    });
  }
  const result = await verifySignature({
    data: info,
    signature,
    algorithm,
    publicKeyInfo: subjectPublicKeyInfo,
    cacheKey: false,
    ...(backend ? { backend } : {}),
  });
  if (result !== 'valid')
    throw new PkiError('ERR_PROOF_OF_POSSESSION', `the request is not signed by the key it carries (${result})`);
  return { subjectPublicKeyInfo };
}
