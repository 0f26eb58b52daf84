import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import {
  encodeKeyId,
  issueCvCertificate,
  SoftwareCardKey,
  type CardPrivateKey,
  type CardRsaPublicKey,
} from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import {
  base64ToBytes,
  bytesToBase64,
  openWithPassphrase,
  readRsaPublicKey,
  sealWithPassphrase,
  SoftwareSigner,
  type EncryptedKeyFile,
  type PassphraseBox,
} from '@openmyna/pki';

import { passphrase, pkiDir, readJson, writeAtomically } from './pki-store.js';

/**
 * The card-face signing keys under `<data>/pki/card-face`: the 入力補助 CA key (`9000033/001`, the
 * role of J-LIS's `5000033`), the 券面 CA key (`9000023/001`, the role of `5000023`) and, per
 * municipality, the issuer keys that sign records, each with its CV certificate. openmyna's key IDs
 * start with 9, never J-LIS's 5 or 6.
 */
export const KENHOJO_CA_KEY_ID = '9000033/001';
export const KENKAKU_CA_KEY_ID = '9000023/001';

/** Per CA: the files of its private and public key. */
const CA_FILES = {
  [KENHOJO_CA_KEY_ID]: { key: 'ca-key.json', public: 'ca.json' },
  [KENKAKU_CA_KEY_ID]: { key: 'kenkaku-ca-key.json', public: 'kenkaku-ca.json' },
} as const;
type CaKeyId = keyof typeof CA_FILES;

interface IssuerFile<Key> {
  readonly keyId: string;
  readonly key: Key;
  readonly cvCertificate: string;
}

const cardFaceDir = (dataDir: string) => join(pkiDir(dataDir), 'card-face');

/** The CA public keys a verifier of 入力補助 and 券面 records trusts, by key ID (those created so far). */
export async function cardFaceCaKeys(dataDir: string): Promise<Map<string, CardRsaPublicKey>> {
  const keys = new Map<string, CardRsaPublicKey>();
  for (const files of Object.values(CA_FILES)) {
    const stored = await readJson<{ keyId: string; modulus: string; exponent: string }>(
      join(cardFaceDir(dataDir), files.public),
    );
    if (stored)
      keys.set(stored.keyId, { modulus: base64ToBytes(stored.modulus), exponent: base64ToBytes(stored.exponent) });
  }
  if (keys.size === 0)
    throw new Error(`no card-face CA yet: \`openmyna card issue\` creates it (looked in ${cardFaceDir(dataDir)})`);
  return keys;
}

/** The municipality's 入力補助 issuer (created with its CV certificate on first use). */
export async function kenhojoIssuer(
  dataDir: string,
  municipalityCode: string,
): Promise<{ signer: SoftwareSigner; keyId: string; cvCertificate: Uint8Array }> {
  const secret = await passphrase(dataDir, false);
  const issuerPath = join(cardFaceDir(dataDir), 'issuers', `${municipalityCode}.json`);
  const stored = await readJson<IssuerFile<EncryptedKeyFile>>(issuerPath);
  if (stored) {
    return {
      signer: await SoftwareSigner.importEncrypted(stored.key, secret),
      keyId: stored.keyId,
      cvCertificate: base64ToBytes(stored.cvCertificate),
    };
  }
  const signer = await SoftwareSigner.generate();
  // Subject key IDs are municipality-specific on real cards (card-spec §3.7: e.g. 1322121/000).
  const keyId = `${municipalityCode}21/000`;
  const cvCertificate = await certify(dataDir, secret, KENHOJO_CA_KEY_ID, keyId, signer.publicKeyInfo);
  const file: IssuerFile<EncryptedKeyFile> = {
    keyId,
    key: await signer.exportEncrypted(secret),
    cvCertificate: bytesToBase64(cvCertificate),
  };
  await writeAtomically(issuerPath, JSON.stringify(file, null, 2) + '\n');
  return { signer, keyId, cvCertificate };
}

/**
 * The municipality's 券面 issuer (created with its CV certificate on first use). The 券面 records
 * are signed with raw PKCS#1 over a 96-byte digest list, so the key is a card key, sealed as a JWK
 * and used through OpenSSL (`nodeCardKey`).
 */
export async function kenkakuIssuer(
  dataDir: string,
  municipalityCode: string,
): Promise<{ key: CardPrivateKey; keyId: string; cvCertificate: Uint8Array }> {
  const secret = await passphrase(dataDir, false);
  const issuerPath = join(cardFaceDir(dataDir), 'issuers', `kenkaku-${municipalityCode}.json`);
  const associatedData = new TextEncoder().encode(`openmyna kenkaku issuer ${municipalityCode}`);
  const stored = await readJson<IssuerFile<PassphraseBox>>(issuerPath);
  if (stored) {
    const jwk = JSON.parse(
      new TextDecoder().decode(await openWithPassphrase(stored.key, secret, associatedData)),
    ) as Parameters<typeof nodeCardKey>[0];
    return { key: nodeCardKey(jwk), keyId: stored.keyId, cvCertificate: base64ToBytes(stored.cvCertificate) };
  }
  const generated = await SoftwareCardKey.generate();
  // openmyna's convention for 券面 issuers: the municipality code and 22 (入力補助 issuers use 21).
  const keyId = `${municipalityCode}22/000`;
  const cvCertificate = await certify(dataDir, secret, KENKAKU_CA_KEY_ID, keyId, generated.publicKeyInfo);
  const file: IssuerFile<PassphraseBox> = {
    keyId,
    key: await sealWithPassphrase(new TextEncoder().encode(JSON.stringify(generated.jwk)), secret, { associatedData }),
    cvCertificate: bytesToBase64(cvCertificate),
  };
  await writeAtomically(issuerPath, JSON.stringify(file, null, 2) + '\n');
  return { key: nodeCardKey(generated.jwk), keyId, cvCertificate };
}

async function certify(
  dataDir: string,
  secret: string,
  caKeyId: CaKeyId,
  subjectKeyId: string,
  subjectKeyInfo: Uint8Array,
): Promise<Uint8Array> {
  const ca = await caSigner(dataDir, secret, caKeyId);
  const key = readRsaPublicKey(subjectKeyInfo);
  return issueCvCertificate({
    issuerKeyId: encodeKeyId(caKeyId),
    subjectKeyId: encodeKeyId(subjectKeyId),
    subjectKey: { modulus: key.modulus, exponent: key.publicExponent },
    issuer: ca,
  });
}

async function caSigner(dataDir: string, secret: string, keyId: CaKeyId): Promise<SoftwareSigner> {
  const dir = cardFaceDir(dataDir);
  await mkdir(join(dir, 'issuers'), { recursive: true });
  const stored = await readJson<EncryptedKeyFile>(join(dir, CA_FILES[keyId].key));
  if (stored) return SoftwareSigner.importEncrypted(stored, secret);
  const signer = await SoftwareSigner.generate();
  const key = readRsaPublicKey(signer.publicKeyInfo);
  await writeAtomically(
    join(dir, CA_FILES[keyId].key),
    JSON.stringify(await signer.exportEncrypted(secret), null, 2) + '\n',
  );
  await writeAtomically(
    join(dir, CA_FILES[keyId].public),
    JSON.stringify(
      { keyId, modulus: bytesToBase64(key.modulus), exponent: bytesToBase64(key.publicExponent) },
      null,
      2,
    ) + '\n',
  );
  return signer;
}
