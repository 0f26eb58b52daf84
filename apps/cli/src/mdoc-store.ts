import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { KeyCustody } from '@openmyna/issuer';
import { issueMdocCertificate, mdocTrustAnchor, type EcPrivateKey, type MdocTrustAnchor } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { derFromPemOrDer, openWithPassphrase, sealWithPassphrase, toPem, type PassphraseBox } from '@openmyna/pki';

import { mergeJson, passphrase, pkiDir, readJson, sealedFileCustody, writeAtomically } from './pki-store.js';

/**
 * The mdoc issuer under `<data>/pki/mdoc` (ISO/IEC 18013-5 Annex B, ECDSA P-256):
 *
 * ```
 * pki/mdoc/iaca.pem        IACA root certificate (what verifiers trust)
 * pki/mdoc/iaca-key.json   its certificate and (sealed-file custody) its key, sealed with the CA passphrase
 * pki/mdoc/ds.pem          document-signer certificate (signs MSOs and status lists)
 * pki/mdoc/ds-key.json     its certificate and (sealed-file custody) its key, sealed
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

/** The issuer's public mdoc files: what `iaca-key.json` and `ds-key.json` hold besides (sealed files') keys. */
interface CertificateFile {
  readonly certificate?: string;
}

const MDOC_SUBJECT = (commonName: string) =>
  [
    ['C', 'JP'],
    ['O', 'openmyna'],
    ['CN', commonName],
  ] as const;

/** The IACA (20 years minus a day), its key from the custody, created on first use. */
async function loadIaca(dir: string, custody: KeyCustody, baseUrl: string, now: Date) {
  const path = join(dir, 'iaca-key.json');
  const stored = (await readJson<CertificateFile>(path))?.certificate;
  if (stored && (await custody.has('mdoc-iaca'))) return { key: await custody.ecKey('mdoc-iaca'), pem: stored };
  const key = await custody.createEcKey('mdoc-iaca');
  const certificate = await issueMdocCertificate({
    role: 'iaca',
    subject: MDOC_SUBJECT('openmyna IACA'),
    publicKey: key.publicKey,
    issuerKey: key,
    notBefore: now,
    notAfter: new Date(now.getTime() + (20 * 365 - 1) * DAY),
    issuerAltNameUri: baseUrl,
    crlDistributionPointUri: `${baseUrl}/mdoc/iaca.crl`,
    randomBytes: (length) => new Uint8Array(randomBytes(length)),
  });
  const pem = toPem(certificate, 'CERTIFICATE');
  await mergeJson(path, { certificate: pem });
  await writeAtomically(join(dir, 'iaca.pem'), pem);
  return { key, pem };
}

/**
 * The IACA and document signer, their keys from the custody (`mdoc-iaca`, `mdoc-document-signer`),
 * created on first use: the IACA for 20 years minus a day, the document signer for 457 days (Annex B's
 * caps). A document signer past two thirds of its life is replaced, so MSOs never outlive the
 * certificate that signed them.
 */
export async function loadMdocIssuer(
  dataDir: string,
  baseUrl = 'http://127.0.0.1:8080',
  now = new Date(),
  keys?: KeyCustody,
): Promise<MdocIssuer> {
  const custody = keys ?? (await sealedFileCustody(dataDir, true));
  const dir = mdocDir(dataDir);
  await mkdir(dir, { recursive: true });
  const iacaFile = await loadIaca(dir, custody, baseUrl, now);
  const iaca = mdocTrustAnchor(derFromPemOrDer(new TextEncoder().encode(iacaFile.pem), 'CERTIFICATE'));
  const dsPath = join(dir, 'ds-key.json');
  let dsPem = (await readJson<CertificateFile>(dsPath))?.certificate;
  const current = dsPem && mdocTrustAnchor(derFromPemOrDer(new TextEncoder().encode(dsPem), 'CERTIFICATE')).certificate;
  const lifetime = current ? current.notAfter.getTime() - current.notBefore.getTime() : 0;
  const rotate = !current || now.getTime() > current.notBefore.getTime() + (lifetime * 2) / 3;
  if (rotate || !dsPem || !(await custody.has('mdoc-document-signer'))) {
    const key = await custody.createEcKey('mdoc-document-signer');
    const certificate = await issueMdocCertificate({
      role: 'document-signer',
      subject: MDOC_SUBJECT('openmyna document signer'),
      publicKey: key.publicKey,
      issuerKey: iacaFile.key,
      // Our own IACA's key: the key it was made with (P-256), not the anchor's reading of any curve.
      issuer: { subject: iaca.certificate.subject, publicKey: iacaFile.key.publicKey },
      notBefore: now,
      notAfter: new Date(now.getTime() + 457 * DAY),
      issuerAltNameUri: baseUrl,
      crlDistributionPointUri: `${baseUrl}/mdoc/iaca.crl`,
      randomBytes: (length) => new Uint8Array(randomBytes(length)),
    });
    dsPem = toPem(certificate, 'CERTIFICATE');
    await mergeJson(dsPath, { certificate: dsPem });
    await writeAtomically(join(dir, 'ds.pem'), dsPem);
  }
  return {
    iaca,
    iacaPem: iacaFile.pem,
    documentSigner: {
      key: await custody.ecKey('mdoc-document-signer'),
      certificate: derFromPemOrDer(new TextEncoder().encode(dsPem), 'CERTIFICATE'),
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
