import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { issueMdocCertificate, mdocTrustAnchor, type EcPrivateKey, type MdocTrustAnchor } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { derFromPemOrDer, openWithPassphrase, sealWithPassphrase, toPem, type PassphraseBox } from '@openmyna/pki';

import { passphrase, pkiDir, readJson, writeAtomically } from './pki-store.js';

/**
 * The mdoc issuer under `<data>/pki/mdoc` (ISO/IEC 18013-5 Annex B, ECDSA P-256):
 *
 * ```
 * pki/mdoc/iaca.pem        IACA root certificate (what verifiers trust)
 * pki/mdoc/iaca-key.json   its key, sealed with the CA passphrase
 * pki/mdoc/ds.pem          document-signer certificate (signs MSOs and status lists)
 * pki/mdoc/ds-key.json     its key, sealed
 * pki/mdoc/reader-ca.pem   reader CA (certifies relying parties' request-signing keys)
 * pki/mdoc/reader-ca-key.json  its key, sealed
 * ```
 */
const mdocDir = (dataDir: string) => join(pkiDir(dataDir), 'mdoc');
const DAY = 86_400_000;

interface SealedKey {
  readonly certificate: string;
  readonly key: PassphraseBox;
}

export interface MdocIssuer {
  readonly iaca: MdocTrustAnchor;
  readonly iacaPem: string;
  readonly documentSigner: { readonly key: EcPrivateKey; readonly certificate: Uint8Array };
}

function newJwk(): JsonWebKey {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
}

async function seal(jwk: JsonWebKey, secret: string, role: string): Promise<PassphraseBox> {
  return sealWithPassphrase(new TextEncoder().encode(JSON.stringify(jwk)), secret, {
    associatedData: new TextEncoder().encode(`openmyna mdoc ${role}`),
  });
}

async function unseal(box: PassphraseBox, secret: string, role: string): Promise<EcPrivateKey> {
  const plain = await openWithPassphrase(box, secret, new TextEncoder().encode(`openmyna mdoc ${role}`));
  return nodeMdocCrypto.importEcPrivateKey(JSON.parse(new TextDecoder().decode(plain)) as JsonWebKey);
}

/**
 * The IACA and document signer, created on first use: the IACA for 20 years minus a day, the
 * document signer for 457 days (Annex B's caps). A document signer past two thirds of its life is
 * replaced, so MSOs never outlive the certificate that signed them.
 */
export async function loadMdocIssuer(
  dataDir: string,
  baseUrl = 'http://127.0.0.1:8080',
  now = new Date(),
): Promise<MdocIssuer> {
  const secret = await passphrase(dataDir, true);
  const dir = mdocDir(dataDir);
  await mkdir(dir, { recursive: true });
  const randomBytesOf = (length: number) => new Uint8Array(randomBytes(length));
  let iacaFile = await readJson<SealedKey>(join(dir, 'iaca-key.json'));
  if (!iacaFile) {
    const jwk = newJwk();
    const key = await nodeMdocCrypto.importEcPrivateKey(jwk);
    const certificate = await issueMdocCertificate({
      role: 'iaca',
      subject: [
        ['C', 'JP'],
        ['O', 'openmyna'],
        ['CN', 'openmyna IACA'],
      ],
      publicKey: key.publicKey,
      issuerKey: key,
      notBefore: now,
      notAfter: new Date(now.getTime() + (20 * 365 - 1) * DAY),
      issuerAltNameUri: baseUrl,
      crlDistributionPointUri: `${baseUrl}/mdoc/iaca.crl`,
      randomBytes: randomBytesOf,
    });
    iacaFile = { certificate: toPem(certificate, 'CERTIFICATE'), key: await seal(jwk, secret, 'iaca') };
    await writeAtomically(join(dir, 'iaca-key.json'), JSON.stringify(iacaFile, null, 2) + '\n');
    await writeAtomically(join(dir, 'iaca.pem'), iacaFile.certificate);
  }
  const iaca = mdocTrustAnchor(derFromPemOrDer(new TextEncoder().encode(iacaFile.certificate), 'CERTIFICATE'));
  let dsFile = await readJson<SealedKey>(join(dir, 'ds-key.json'));
  const current =
    dsFile && mdocTrustAnchor(derFromPemOrDer(new TextEncoder().encode(dsFile.certificate), 'CERTIFICATE')).certificate;
  const lifetime = current ? current.notAfter.getTime() - current.notBefore.getTime() : 0;
  if (!dsFile || !current || now.getTime() > current.notBefore.getTime() + (lifetime * 2) / 3) {
    const iacaKey = await unseal(iacaFile.key, secret, 'iaca');
    const jwk = newJwk();
    const key = await nodeMdocCrypto.importEcPrivateKey(jwk);
    const certificate = await issueMdocCertificate({
      role: 'document-signer',
      subject: [
        ['C', 'JP'],
        ['O', 'openmyna'],
        ['CN', 'openmyna document signer'],
      ],
      publicKey: key.publicKey,
      issuerKey: iacaKey,
      // Our own IACA's key: the key it was made with (P-256), not the anchor's reading of any curve.
      issuer: { subject: iaca.certificate.subject, publicKey: iacaKey.publicKey },
      notBefore: now,
      notAfter: new Date(now.getTime() + 457 * DAY),
      issuerAltNameUri: baseUrl,
      crlDistributionPointUri: `${baseUrl}/mdoc/iaca.crl`,
      randomBytes: randomBytesOf,
    });
    dsFile = { certificate: toPem(certificate, 'CERTIFICATE'), key: await seal(jwk, secret, 'document-signer') };
    await writeAtomically(join(dir, 'ds-key.json'), JSON.stringify(dsFile, null, 2) + '\n');
    await writeAtomically(join(dir, 'ds.pem'), dsFile.certificate);
  }
  return {
    iaca,
    iacaPem: iacaFile.certificate,
    documentSigner: {
      key: await unseal(dsFile.key, secret, 'document-signer'),
      certificate: derFromPemOrDer(new TextEncoder().encode(dsFile.certificate), 'CERTIFICATE'),
    },
  };
}

/**
 * The reader CA under `<data>/pki/mdoc/reader-ca.pem` (and `reader-ca-key.json`, sealed), created on
 * first use for 20 years minus a day: it certifies relying parties' request-signing keys, and wallets
 * trust it to tell who asks.
 */
export async function loadReaderAuthority(
  dataDir: string,
  baseUrl = 'http://127.0.0.1:8081',
  now = new Date(),
): Promise<{ key: EcPrivateKey; anchor: MdocTrustAnchor; pem: string }> {
  const secret = await passphrase(dataDir, true);
  const dir = mdocDir(dataDir);
  await mkdir(dir, { recursive: true });
  let file = await readJson<SealedKey>(join(dir, 'reader-ca-key.json'));
  if (!file) {
    const jwk = newJwk();
    const key = await nodeMdocCrypto.importEcPrivateKey(jwk);
    const certificate = await issueMdocCertificate({
      role: 'reader-ca',
      subject: [
        ['C', 'JP'],
        ['O', 'openmyna'],
        ['CN', 'openmyna reader CA'],
      ],
      publicKey: key.publicKey,
      issuerKey: key,
      notBefore: now,
      notAfter: new Date(now.getTime() + (20 * 365 - 1) * DAY),
      issuerAltNameUri: baseUrl,
      randomBytes: (length) => new Uint8Array(randomBytes(length)),
    });
    file = { certificate: toPem(certificate, 'CERTIFICATE'), key: await seal(jwk, secret, 'reader-ca') };
    await writeAtomically(join(dir, 'reader-ca-key.json'), JSON.stringify(file, null, 2) + '\n');
    await writeAtomically(join(dir, 'reader-ca.pem'), file.certificate);
  }
  return {
    key: await unseal(file.key, secret, 'reader-ca'),
    anchor: mdocTrustAnchor(derFromPemOrDer(new TextEncoder().encode(file.certificate), 'CERTIFICATE')),
    pem: file.certificate,
  };
}
