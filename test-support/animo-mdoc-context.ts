import 'reflect-metadata';

import {
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
  type JsonWebKey as NodeJwk,
} from 'node:crypto';

import type { MdocContext } from '@animo-id/mdoc';
import * as x509 from '@peculiar/x509';

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

// @peculiar/x509 wants ArrayBuffer-backed views; ours are (we never use shared memory).
const certificateOf = (der: Uint8Array): x509.X509Certificate =>
  new x509.X509Certificate(der as Uint8Array<ArrayBuffer>);

/** A context for @animo-id/mdoc built only from node:crypto and @peculiar/x509, none of our code. */
export const animoContext: Pick<MdocContext, 'crypto' | 'cose' | 'x509'> = {
  crypto: {
    random: (length) => new Uint8Array(randomBytes(length)),
    digest: ({ digestAlgorithm, bytes }) =>
      new Uint8Array(createHash(digestAlgorithm.replace('-', '').toLowerCase()).update(bytes).digest()),
    calculateEphemeralMacKeyJwk: ({ privateKey, publicKey, sessionTranscriptBytes }) => {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(privateKey);
      const ikm = ecdh.computeSecret(publicKey);
      const salt = createHash('sha256').update(sessionTranscriptBytes).digest();
      return { kty: 'oct', k: b64u(new Uint8Array(hkdfSync('sha256', ikm, salt, Buffer.from('EMacKey'), 32))) };
    },
  },
  cose: {
    sign1: {
      sign: ({ sign1, jwk }) =>
        new Uint8Array(
          sign('sha256', sign1.getRawSigningData().data, {
            key: createPrivateKey({ key: jwk as NodeJwk, format: 'jwk' }),
            dsaEncoding: 'ieee-p1363',
          }),
        ),
      verify: ({ sign1, jwk, options }) => {
        const { data, signature } = sign1.getRawVerificationData(options);
        return verify(
          'sha256',
          data,
          { key: createPublicKey({ key: jwk as NodeJwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
          signature,
        );
      },
    },
    mac0: {
      sign: ({ mac0, jwk }) =>
        new Uint8Array(
          createHmac('sha256', Buffer.from(jwk.k!, 'base64url')).update(mac0.getRawSigningData().data).digest(),
        ),
      verify: ({ mac0, jwk, options }) => {
        const { data, signature } = mac0.getRawVerificationData(options);
        const expected = createHmac('sha256', Buffer.from(jwk.k!, 'base64url')).update(data).digest();
        return expected.length === signature.length && timingSafeEqual(expected, signature);
      },
    },
  },
  x509: {
    getIssuerNameField: ({ certificate, field }) => certificateOf(certificate).issuerName.getField(field),
    getPublicKey: async ({ certificate }) => {
      const key = await certificateOf(certificate).publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' }, ['verify']);
      return (await globalThis.crypto.subtle.exportKey('jwk', key)) as never;
    },
    validateCertificateChain: async ({ trustedCertificates, x5chain }) => {
      const leaf = certificateOf(x5chain[0]);
      const roots = trustedCertificates.map((der) => certificateOf(der));
      const root = roots.find((candidate) => candidate.subject === leaf.issuer);
      if (!root || !(await leaf.verify({ publicKey: root, date: new Date() }))) throw new Error('untrusted chain');
    },
    getCertificateData: async ({ certificate }) => {
      const cert = certificateOf(certificate);
      return {
        issuerName: cert.issuer,
        subjectName: cert.subject,
        serialNumber: cert.serialNumber,
        thumbprint: Buffer.from(await cert.getThumbprint('SHA-1')).toString('hex'),
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        pem: cert.toString('pem'),
      };
    },
  },
};
