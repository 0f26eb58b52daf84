import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { encodeKeyId, issueCvCertificate, type CardPrivateKey, type CardRsaPublicKey } from '@openmyna/card';
import type { KeyCustody } from '@openmyna/issuer';
import { base64ToBytes, bytesToBase64, readRsaPublicKey, type Signer } from '@openmyna/pki';

import { mergeJson, pkiDir, readJson, sealedFileCustody, writeAtomically } from './pki-store.js';

/**
 * The card-face signing keys under `<data>/pki/card-face`: the 入力補助 CA key (`9000033/001`, the
 * role of J-LIS's `5000033`), the 券面 CA key (`9000023/001`, the role of `5000023`) and, per
 * municipality, the issuer keys that sign records, each with its CV certificate. openmyna's key IDs
 * start with 9, never J-LIS's 5 or 6.
 */
export const KENHOJO_CA_KEY_ID = '9000033/001';
export const KENKAKU_CA_KEY_ID = '9000023/001';

/** Per CA: the files of its private key (with sealed files) and public key. */
const CA_FILES = {
  [KENHOJO_CA_KEY_ID]: { key: 'ca-key.json', public: 'ca.json' },
  [KENKAKU_CA_KEY_ID]: { key: 'kenkaku-ca-key.json', public: 'kenkaku-ca.json' },
} as const;
type CaKeyId = keyof typeof CA_FILES;

/** `issuers/<code>.json`: the key ID and CV certificate (and, with sealed files, the sealed key). */
interface IssuerFile {
  readonly keyId: string;
  readonly cvCertificate: string;
}

const cardFaceDir = (dataDir: string) => join(pkiDir(dataDir), 'card-face');

/** Per data directory and key, the last load-or-create: concurrent first uses must not each make a key. */
const loading = new Map<string, Promise<unknown>>();

function oneAtATime<T>(dataDir: string, name: string, load: () => Promise<T>): Promise<T> {
  const key = `${dataDir}\0${name}`;
  const result = (loading.get(key) ?? Promise.resolve()).then(load, load);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  loading.set(key, settled);
  void settled.then(() => {
    if (loading.get(key) === settled) loading.delete(key);
  });
  return result;
}

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

/** The custody names of the two card-face CA keys. */
const CA_KEY_NAMES = { [KENHOJO_CA_KEY_ID]: 'kenhojo-ca', [KENKAKU_CA_KEY_ID]: 'kenkaku-ca' } as const;

/**
 * The municipality's 入力補助 issuer: its key from the custody (`kenhojo-issuer/<code>`), its key ID and
 * CV certificate from `issuers/<code>.json` (both created on first use).
 */
export async function kenhojoIssuer(
  dataDir: string,
  municipalityCode: string,
  keys?: KeyCustody,
): Promise<{ signer: Signer; keyId: string; cvCertificate: Uint8Array }> {
  const custody = keys ?? (await sealedFileCustody(dataDir));
  const name = `kenhojo-issuer/${municipalityCode}` as const;
  return oneAtATime(dataDir, name, () => loadKenhojoIssuer(dataDir, municipalityCode, custody, name));
}

async function loadKenhojoIssuer(
  dataDir: string,
  municipalityCode: string,
  custody: KeyCustody,
  name: `kenhojo-issuer/${string}`,
): Promise<{ signer: Signer; keyId: string; cvCertificate: Uint8Array }> {
  const issuerPath = join(cardFaceDir(dataDir), 'issuers', `${municipalityCode}.json`);
  const stored = await readJson<Partial<IssuerFile>>(issuerPath);
  if (stored?.keyId && stored.cvCertificate && (await custody.has(name))) {
    return {
      signer: await custody.rsaSigner(name),
      keyId: stored.keyId,
      cvCertificate: base64ToBytes(stored.cvCertificate),
    };
  }
  await mkdir(join(cardFaceDir(dataDir), 'issuers'), { recursive: true });
  const signer = await custody.createRsaSigner(name);
  // Subject key IDs are municipality-specific on real cards (card-spec §3.7: e.g. 1322121/000).
  const keyId = `${municipalityCode}21/000`;
  const cvCertificate = await certify(dataDir, custody, KENHOJO_CA_KEY_ID, keyId, signer.publicKeyInfo);
  await mergeJson(issuerPath, { keyId, cvCertificate: bytesToBase64(cvCertificate) });
  return { signer, keyId, cvCertificate };
}

/**
 * The municipality's 券面 issuer (created with its CV certificate on first use). The 券面 records
 * are signed with raw PKCS#1 over a 96-byte digest list, so the key is a card key
 * (`kenkaku-issuer/<code>`): with sealed files a JWK used through OpenSSL, in a token CKM_RSA_PKCS.
 */
export async function kenkakuIssuer(
  dataDir: string,
  municipalityCode: string,
  keys?: KeyCustody,
): Promise<{ key: CardPrivateKey; keyId: string; cvCertificate: Uint8Array }> {
  const custody = keys ?? (await sealedFileCustody(dataDir));
  const name = `kenkaku-issuer/${municipalityCode}` as const;
  return oneAtATime(dataDir, name, () => loadKenkakuIssuer(dataDir, municipalityCode, custody, name));
}

async function loadKenkakuIssuer(
  dataDir: string,
  municipalityCode: string,
  custody: KeyCustody,
  name: `kenkaku-issuer/${string}`,
): Promise<{ key: CardPrivateKey; keyId: string; cvCertificate: Uint8Array }> {
  const issuerPath = join(cardFaceDir(dataDir), 'issuers', `kenkaku-${municipalityCode}.json`);
  const stored = await readJson<Partial<IssuerFile>>(issuerPath);
  if (stored?.keyId && stored.cvCertificate && (await custody.has(name))) {
    const { key } = await custody.cardKey(name);
    return { key, keyId: stored.keyId, cvCertificate: base64ToBytes(stored.cvCertificate) };
  }
  await mkdir(join(cardFaceDir(dataDir), 'issuers'), { recursive: true });
  const generated = await custody.createCardKey(name);
  // openmyna's convention for 券面 issuers: the municipality code and 22 (入力補助 issuers use 21).
  const keyId = `${municipalityCode}22/000`;
  const cvCertificate = await certify(dataDir, custody, KENKAKU_CA_KEY_ID, keyId, generated.publicKeyInfo);
  await mergeJson(issuerPath, { keyId, cvCertificate: bytesToBase64(cvCertificate) });
  return { key: generated.key, keyId, cvCertificate };
}

async function certify(
  dataDir: string,
  custody: KeyCustody,
  caKeyId: CaKeyId,
  subjectKeyId: string,
  subjectKeyInfo: Uint8Array,
): Promise<Uint8Array> {
  const ca = await caSigner(dataDir, custody, caKeyId);
  const key = readRsaPublicKey(subjectKeyInfo);
  return issueCvCertificate({
    issuerKeyId: encodeKeyId(caKeyId),
    subjectKeyId: encodeKeyId(subjectKeyId),
    subjectKey: { modulus: key.modulus, exponent: key.publicExponent },
    issuer: ca,
  });
}

/** A card-face CA's signer from the custody, created with its public-key file on first use. */
export function caSigner(dataDir: string, custody: KeyCustody, keyId: CaKeyId): Promise<Signer> {
  return oneAtATime(dataDir, CA_KEY_NAMES[keyId], () => loadCaSigner(dataDir, custody, keyId));
}

async function loadCaSigner(dataDir: string, custody: KeyCustody, keyId: CaKeyId): Promise<Signer> {
  const name = CA_KEY_NAMES[keyId];
  const publicPath = join(cardFaceDir(dataDir), CA_FILES[keyId].public);
  if ((await custody.has(name)) && (await readJson(publicPath))) return custody.rsaSigner(name);
  await mkdir(join(cardFaceDir(dataDir), 'issuers'), { recursive: true });
  const signer = await custody.createRsaSigner(name);
  const key = readRsaPublicKey(signer.publicKeyInfo);
  await writeAtomically(
    publicPath,
    JSON.stringify(
      { keyId, modulus: bytesToBase64(key.modulus), exponent: bytesToBase64(key.publicExponent) },
      null,
      2,
    ) + '\n',
  );
  return signer;
}
