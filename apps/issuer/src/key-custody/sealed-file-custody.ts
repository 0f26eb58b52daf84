import { generateKeyPairSync } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { SoftwareCardKey } from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import {
  openWithPassphrase,
  sealWithPassphrase,
  SoftwareSigner,
  type EncryptedKeyFile,
  type PassphraseBox,
} from '@openmyna/pki';

import { KeyCustodyError } from './errors.js';
import { mergeJson, readJson, writeAtomically } from './files.js';
import type { KeyCustody } from './key-custody.js';
import { checkKeyName, type CardKeyName, type EcKeyName, type KeyName, type RsaKeyName } from './key-names.js';

/**
 * Where a key lives under `<data>/pki`, in the format the data directory has always had: a whole
 * `openmyna-key/1` file, or the `key` field of a JSON file that also holds its certificate (a
 * passphrase box over a JWK, with the associated data the file was sealed with).
 */
type Location =
  | { readonly kind: 'key-file'; readonly path: string }
  | { readonly kind: 'key-field'; readonly path: string }
  | { readonly kind: 'jwk-field'; readonly path: string; readonly associatedData: string };

function locate(name: KeyName): Location {
  checkKeyName(name);
  const municipality = name.split('/')[1] ?? '';
  switch (name) {
    case 'jpki-signing-ca':
      return { kind: 'key-file', path: 'signing/ca-key.json' };
    case 'jpki-authentication-ca':
      return { kind: 'key-file', path: 'authentication/ca-key.json' };
    case 'jpki-signing-ocsp':
      return { kind: 'key-file', path: 'signing/ocsp-key.json' };
    case 'jpki-authentication-ocsp':
      return { kind: 'key-file', path: 'authentication/ocsp-key.json' };
    case 'kenhojo-ca':
      return { kind: 'key-file', path: 'card-face/ca-key.json' };
    case 'kenkaku-ca':
      return { kind: 'key-file', path: 'card-face/kenkaku-ca-key.json' };
    case 'mdoc-iaca':
      return { kind: 'jwk-field', path: 'mdoc/iaca-key.json', associatedData: 'openmyna mdoc iaca' };
    case 'mdoc-document-signer':
      return { kind: 'jwk-field', path: 'mdoc/ds-key.json', associatedData: 'openmyna mdoc document-signer' };
    case 'pin-reset':
      return { kind: 'jwk-field', path: 'issuer/pin-reset-key.json', associatedData: 'openmyna issuer pin-reset' };
    default:
      if (name.startsWith('kenhojo-issuer/'))
        return { kind: 'key-field', path: `card-face/issuers/${municipality}.json` };
      return {
        kind: 'jwk-field',
        path: `card-face/issuers/kenkaku-${municipality}.json`,
        associatedData: `openmyna kenkaku issuer ${municipality}`,
      };
  }
}

/** Options of {@link openSealedFileCustody}. */
export interface SealedFileCustodyOptions {
  /** The data directory; keys live under `<data>/pki`. */
  readonly dataDir: string;
  /** The CA passphrase every key is sealed with. */
  readonly passphrase: string;
}

/**
 * The custody of today's data directories: each key sealed with the CA passphrase (PBKDF2-SHA-256,
 * AES-256-GCM) in the file it has always had, so existing data directories open unchanged.
 */
export function openSealedFileCustody(options: SealedFileCustodyOptions): KeyCustody {
  const { stored, openJwk, store, sealJwk, missing } = sealedKeyFiles(options);
  return {
    backend: 'sealed-files',
    has: async (name) => (await stored(name)) !== undefined,
    rsaSigner: async (name: RsaKeyName) => {
      const file = (await stored(name)) as EncryptedKeyFile | undefined;
      if (!file) throw missing(name);
      if (file.purpose !== undefined) return SoftwareSigner.importEncrypted(file, options.passphrase, false, name);
      // Sealed before key files named their purpose: sealed again with it, so from now on the file
      // opens only in its own place.
      const signer = await SoftwareSigner.importEncrypted(file, options.passphrase, true);
      await store(name, await signer.exportEncrypted(options.passphrase, undefined, name));
      return signer;
    },
    cardKey: async (name) => {
      const jwk = await openJwk(name);
      const key = nodeCardKey(jwk);
      return { key, publicKeyInfo: await cardPublicKeyInfo(jwk) };
    },
    ecKey: async (name) => nodeMdocCrypto.importEcPrivateKey(await openJwk(name)),
    createRsaSigner: async (name) => {
      const signer = await SoftwareSigner.generate();
      await store(name, await signer.exportEncrypted(options.passphrase, undefined, name));
      return signer;
    },
    createCardKey: async (name) => {
      const generated = await SoftwareCardKey.generate();
      await sealJwk(name, generated.jwk);
      return { key: nodeCardKey(generated.jwk), publicKeyInfo: generated.publicKeyInfo };
    },
    createEcKey: async (name) => {
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      await sealJwk(name, jwk);
      return nodeMdocCrypto.importEcPrivateKey(jwk);
    },
    close: () => Promise.resolve(),
  };
}

/** Reading and writing one key's place in the data directory. */
function sealedKeyFiles(options: SealedFileCustodyOptions) {
  const pathOf = (location: Location) => join(options.dataDir, 'pki', location.path);
  const missing = (name: KeyName) =>
    new KeyCustodyError('ERR_KEY_CUSTODY_KEY_MISSING', `no key "${name}" in ${join(options.dataDir, 'pki')}`);

  async function stored(name: KeyName): Promise<EncryptedKeyFile | PassphraseBox | undefined> {
    const location = locate(name);
    const file = await readJson<EncryptedKeyFile & { key?: EncryptedKeyFile | PassphraseBox }>(pathOf(location));
    return location.kind === 'key-file' ? file : file?.key;
  }

  async function openJwk(name: EcKeyName | CardKeyName): Promise<JsonWebKey> {
    const location = locate(name);
    const box = (await stored(name)) as PassphraseBox | undefined;
    if (!box || location.kind !== 'jwk-field') throw missing(name);
    const plain = await openWithPassphrase(box, options.passphrase, new TextEncoder().encode(location.associatedData));
    return JSON.parse(new TextDecoder().decode(plain)) as JsonWebKey;
  }

  async function store(name: KeyName, value: EncryptedKeyFile | PassphraseBox): Promise<void> {
    const location = locate(name);
    const path = pathOf(location);
    await mkdir(dirname(path), { recursive: true });
    if (location.kind === 'key-file') await writeAtomically(path, JSON.stringify(value, null, 2) + '\n');
    else await mergeJson(path, { key: value });
  }

  async function sealJwk(name: EcKeyName | CardKeyName, jwk: JsonWebKey): Promise<void> {
    const location = locate(name);
    if (location.kind !== 'jwk-field') throw missing(name);
    const associatedData = new TextEncoder().encode(location.associatedData);
    await store(
      name,
      await sealWithPassphrase(new TextEncoder().encode(JSON.stringify(jwk)), options.passphrase, { associatedData }),
    );
  }

  return { stored, openJwk, store, sealJwk, missing };
}

async function cardPublicKeyInfo(jwk: JsonWebKey): Promise<Uint8Array> {
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'RSA', n: jwk.n ?? '', e: jwk.e ?? '' },
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    true,
    ['verify'],
  );
  return new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
}
