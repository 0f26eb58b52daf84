import { children, readAlgorithmIdentifier, readBitStringBytes, readDer, readInteger, TAG } from './der-reader.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';

/** The two integers of an RSA public key (RFC 8017 §A.1.1), as unsigned big-endian bytes. */
export interface RsaPublicKeyBytes {
  readonly modulus: Uint8Array;
  readonly publicExponent: Uint8Array;
  /** The DER RSAPublicKey (PKCS#1) inside the SubjectPublicKeyInfo. */
  readonly pkcs1: Uint8Array;
}

/** Reads the RSA key of a SubjectPublicKeyInfo; `ERR_RSA_KEY` for any other key type. */
export function readRsaPublicKey(subjectPublicKeyInfo: Uint8Array): RsaPublicKeyBytes {
  const [algorithm, key, extra] = children(
    readDer(subjectPublicKeyInfo, 'SubjectPublicKeyInfo'),
    TAG.SEQUENCE,
    'SubjectPublicKeyInfo',
  );
  if (extra || readAlgorithmIdentifier(algorithm, 'SubjectPublicKeyInfo algorithm').oid !== OID.rsaEncryption) {
    throw new PkiError('ERR_RSA_KEY', 'the key is not an RSA key');
  }
  const pkcs1 = readBitStringBytes(key, 'subjectPublicKey');
  const [modulus, exponent, more] = children(readDer(pkcs1, 'RSAPublicKey'), TAG.SEQUENCE, 'RSAPublicKey');
  if (more) throw new PkiError('ERR_RSA_KEY', 'RSAPublicKey has extra fields');
  const unsigned = (bytes: Uint8Array) => (bytes[0] === 0 && bytes.length > 1 ? bytes.subarray(1) : bytes);
  return {
    modulus: unsigned(readInteger(modulus, 'modulus')),
    publicExponent: unsigned(readInteger(exponent, 'publicExponent')),
    pkcs1,
  };
}
