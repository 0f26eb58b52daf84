import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  parseCertificate,
  trustAnchor,
  validatePath,
  verifyPkcs1Signature,
  type SignatureBackend,
} from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';

import { compare } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VECTORS = process.env['OPENMYNA_VECTORS'] ?? resolve(ROOT, '../shared/vectors');
const read = (path: string) => new Uint8Array(readFileSync(resolve(VECTORS, path)));

/**
 * Verifying a real JPKI signature with its 2-certificate chain: parse the leaf, chain it to the
 * J-LIS root, check validity, verify the RSA-2048 signature over the document. Each library does
 * the same work; trust anchors are parsed once by all of them.
 */
export async function benchJpkiVerification(): Promise<void> {
  const leafDer = read('jpki-real/auth-cert-myna.cer');
  const rootDer = read('jpki-real/authca01.cer');
  const message = read('jpki-real/message1.txt');
  const signature = read('jpki-real/auth-message1-sha256rsapkcs.sig');
  const time = new Date('2020-01-01T00:00:00Z');

  const nodeRoot = new NodeX509Certificate(rootDer);
  const anchors = [trustAnchor(rootDer)];
  const x509Root = new x509.X509Certificate(rootDer);
  const pkijsRoot = pkijs.Certificate.fromBER(rootDer);

  const check = (ok: boolean, who: string) => {
    if (!ok) throw new Error(`${who} did not verify the JPKI signature`);
  };
  await compare(
    'JPKI signature + 2-certificate chain (real J-LIS root, RSA-2048), one core',
    {
      name: 'node:crypto X509Certificate + crypto.verify (practical limit)',
      unit: 'verification',
      run: () => {
        const leaf = new NodeX509Certificate(leafDer);
        const valid =
          leaf.checkIssued(nodeRoot) &&
          leaf.verify(nodeRoot.publicKey) &&
          new Date(leaf.validFrom) <= time &&
          time <= new Date(leaf.validTo) &&
          nodeVerify('sha256', message, leaf.publicKey, signature);
        check(valid, 'node:crypto');
      },
    },
    [
      ...[nodeCryptoBackend, undefined].map((backend: SignatureBackend | undefined) => ({
        name: `openmyna parse + validatePath + verify (${backend?.name ?? 'web-crypto'} backend)`,
        unit: 'verification',
        run: async () => {
          const leaf = parseCertificate(leafDer);
          const options = backend ? { backend } : {};
          const path = await validatePath({
            certificate: leaf,
            trustAnchors: anchors,
            time,
            checkRevocation: false,
            ...options,
          });
          const subjectPublicKeyInfo = leaf.subjectPublicKeyInfo;
          const valid = await verifyPkcs1Signature({
            subjectPublicKeyInfo,
            data: message,
            signature,
            hash: 'SHA-256',
            ...options,
          });
          check(path.status === 'valid' && valid, 'openmyna');
        },
      })),
      {
        name: '@peculiar/x509 X509ChainBuilder + verify',
        unit: 'verification',
        run: async () => {
          const leaf = new x509.X509Certificate(leafDer);
          const chain = await new x509.X509ChainBuilder({ certificates: [x509Root] }).build(leaf);
          const chained = chain.length === 2 && (await leaf.verify({ publicKey: x509Root, date: time }));
          const key = await leaf.publicKey.export({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ['verify']);
          check(
            chained && (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, message)),
            '@peculiar/x509',
          );
        },
      },
      {
        name: 'pkijs CertificateChainValidationEngine + verify',
        unit: 'verification',
        run: async () => {
          const leaf = pkijs.Certificate.fromBER(leafDer);
          const engine = new pkijs.CertificateChainValidationEngine({
            trustedCerts: [pkijsRoot],
            certs: [leaf],
            checkDate: time,
          });
          const result = await engine.verify();
          const key = await leaf.getPublicKey({
            algorithm: { algorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, usages: ['verify'] },
          });
          check(result.result && (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, message)), 'pkijs');
        },
      },
    ],
  );
}
