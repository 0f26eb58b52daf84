import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { encodeKeyId, issueCvCertificate, type CardRsaPublicKey } from '@openmyna/card';
import { base64ToBytes, bytesToBase64, readRsaPublicKey, SoftwareSigner, type EncryptedKeyFile } from '@openmyna/pki';

import { passphrase, pkiDir, writeAtomically } from './pki-store.js';

/**
 * The card-face signing keys under `<data>/pki/card-face`: the 入力補助 CA key (`9000033/001`, the
 * role of J-LIS's `5000033`) and, per municipality, the issuer key that signs records with its CV
 * certificate. openmyna's key IDs start with 9, never J-LIS's 5 or 6.
 */
export const KENHOJO_CA_KEY_ID = '9000033/001';

interface IssuerFile {
  readonly keyId: string;
  readonly key: EncryptedKeyFile;
  readonly cvCertificate: string;
}

/** The CA public keys a verifier of 入力補助 records trusts, by key ID. */
export async function cardFaceCaKeys(dataDir: string): Promise<Map<string, CardRsaPublicKey>> {
  const stored = JSON.parse(await readFile(join(pkiDir(dataDir), 'card-face', 'ca.json'), 'utf8')) as {
    keyId: string;
    modulus: string;
    exponent: string;
  };
  return new Map([
    [stored.keyId, { modulus: base64ToBytes(stored.modulus), exponent: base64ToBytes(stored.exponent) }],
  ]);
}

/** The municipality's 入力補助 issuer (created with its CV certificate on first use). */
export async function kenhojoIssuer(
  dataDir: string,
  municipalityCode: string,
): Promise<{ signer: SoftwareSigner; keyId: string; cvCertificate: Uint8Array }> {
  const dir = join(pkiDir(dataDir), 'card-face');
  const secret = await passphrase(dataDir, false);
  await mkdir(join(dir, 'issuers'), { recursive: true });
  const issuerPath = join(dir, 'issuers', `${municipalityCode}.json`);
  try {
    const stored = JSON.parse(await readFile(issuerPath, 'utf8')) as IssuerFile;
    return {
      signer: await SoftwareSigner.importEncrypted(stored.key, secret),
      keyId: stored.keyId,
      cvCertificate: base64ToBytes(stored.cvCertificate),
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const ca = await caSigner(dataDir, secret);
  const signer = await SoftwareSigner.generate();
  const key = readRsaPublicKey(signer.publicKeyInfo);
  // Subject key IDs are municipality-specific on real cards (card-spec §3.7: e.g. 1322121/000).
  const keyId = `${municipalityCode}21/000`;
  const cvCertificate = await issueCvCertificate({
    issuerKeyId: encodeKeyId(KENHOJO_CA_KEY_ID),
    subjectKeyId: encodeKeyId(keyId),
    subjectKey: { modulus: key.modulus, exponent: key.publicExponent },
    issuer: ca,
  });
  const file: IssuerFile = {
    keyId,
    key: await signer.exportEncrypted(secret),
    cvCertificate: bytesToBase64(cvCertificate),
  };
  await writeAtomically(issuerPath, JSON.stringify(file, null, 2) + '\n');
  return { signer, keyId, cvCertificate };
}

async function caSigner(dataDir: string, secret: string): Promise<SoftwareSigner> {
  const dir = join(pkiDir(dataDir), 'card-face');
  try {
    return await SoftwareSigner.importEncrypted(
      JSON.parse(await readFile(join(dir, 'ca-key.json'), 'utf8')) as EncryptedKeyFile,
      secret,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const signer = await SoftwareSigner.generate();
  const key = readRsaPublicKey(signer.publicKeyInfo);
  await writeAtomically(join(dir, 'ca-key.json'), JSON.stringify(await signer.exportEncrypted(secret), null, 2) + '\n');
  await writeAtomically(
    join(dir, 'ca.json'),
    JSON.stringify(
      { keyId: KENHOJO_CA_KEY_ID, modulus: bytesToBase64(key.modulus), exponent: bytesToBase64(key.publicExponent) },
      null,
      2,
    ) + '\n',
  );
  return signer;
}
