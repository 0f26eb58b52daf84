import type { CardPrivateKey } from '@openmyna/card';
import type { EcPrivateKey } from '@openmyna/mdoc';
import type { Signer } from '@openmyna/pki';

import type { CardKeyName, EcKeyName, RsaKeyName } from './key-names.js';

/** A card-style RSA key (raw PKCS#1 v1.5 and PSS) with its SubjectPublicKeyInfo (DER). */
export interface CardKeyPair {
  readonly key: CardPrivateKey;
  readonly publicKeyInfo: Uint8Array;
}

/** Where the keys are: sealed files in the data directory, or a PKCS#11 token. */
export type KeyCustodyBackend = 'sealed-files' | 'pkcs11';

/**
 * The one home of the issuing authority's private keys, opened once: it hands out signers by
 * {@link KeyName} and never the keys themselves. Certificates and other public data stay with
 * their owners (the data directory).
 *
 * @example
 * ```ts
 * const custody = await openKeyCustody({ dataDir, keys: 'pkcs11:token=openmyna;module-path=/usr/lib/softhsm/libsofthsm2.so' });
 * const ca = new CertificateAuthority({ config, certificate, signer: await custody.rsaSigner('jpki-signing-ca') });
 * ```
 */
export interface KeyCustody {
  readonly backend: KeyCustodyBackend;
  /** Whether the key exists. */
  has(name: RsaKeyName | CardKeyName | EcKeyName): Promise<boolean>;
  /** The RSA key's signer; `ERR_KEY_CUSTODY_KEY_MISSING` if it was never created. */
  rsaSigner(name: RsaKeyName): Promise<Signer>;
  /** A card-style RSA key (券面 issuers); `ERR_KEY_CUSTODY_KEY_MISSING` if it was never created. */
  cardKey(name: CardKeyName): Promise<CardKeyPair>;
  /** The P-256 key's signer; `ERR_KEY_CUSTODY_KEY_MISSING` if it was never created. */
  ecKey(name: EcKeyName): Promise<EcPrivateKey>;
  /** Creates (or replaces) an RSA-2048 key and returns its signer. */
  createRsaSigner(name: RsaKeyName): Promise<Signer>;
  /** Creates (or replaces) a card-style RSA-2048 key. */
  createCardKey(name: CardKeyName): Promise<CardKeyPair>;
  /** Creates (or replaces) a P-256 key. */
  createEcKey(name: EcKeyName): Promise<EcPrivateKey>;
  /** Releases the token session (no-op for sealed files). */
  close(): Promise<void>;
}
