import { createHash, createPublicKey } from 'node:crypto';

import type { CardPrivateKey } from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';
import type { EcPrivateKey, EcPublicKey } from '@openmyna/mdoc';
import type { Signer } from '@openmyna/pki';
import pkcs11js from 'pkcs11js';

import { KeyCustodyError } from './errors.js';
import type { CardKeyPair, KeyCustody } from './key-custody.js';
import type { CardKeyName, EcKeyName, KeyName, RsaKeyName } from './key-names.js';
import { openPkcs11Session, pkcs11ReturnValue, type Pkcs11Session } from './pkcs11-session.js';
import { parsePkcs11Uri } from './pkcs11-uri.js';

/** DER of the named curve P-256 (prime256v1, RFC 5480 §2.1.1.1), the CKA_EC_PARAMS of every EC key. */
const P256_PARAMETERS = Buffer.from('06082a8648ce3d030107', 'hex');
const RSA_BITS = 2048;

/** A logged-in session and the label prefix of this custody's objects. */
interface Token extends Pkcs11Session {
  readonly prefix: string;
}

function tokenCall<T>(name: KeyName, operation: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new KeyCustodyError(
      'ERR_KEY_CUSTODY_TOKEN_OPERATION',
      `the PKCS#11 token failed to ${operation} "${name}" (${pkcs11ReturnValue(error) ?? 'native error'})`,
      { cause: error },
    );
  }
}

function findObjects(session: Token, name: KeyName, objectClass: number): pkcs11js.Handle[] {
  const { library, handle } = session;
  library.C_FindObjectsInit(handle, [
    { type: pkcs11js.CKA_CLASS, value: objectClass },
    { type: pkcs11js.CKA_LABEL, value: session.prefix + name },
  ]);
  try {
    return library.C_FindObjects(handle, 16);
  } finally {
    library.C_FindObjectsFinal(handle);
  }
}

function keyPair(session: Token, name: KeyName): { privateKey: pkcs11js.Handle; publicKey: pkcs11js.Handle } {
  const [privateKey] = findObjects(session, name, pkcs11js.CKO_PRIVATE_KEY);
  const [publicKey] = findObjects(session, name, pkcs11js.CKO_PUBLIC_KEY);
  if (!privateKey || !publicKey)
    throw new KeyCustodyError('ERR_KEY_CUSTODY_KEY_MISSING', `the PKCS#11 token holds no key "${name}"`);
  return { privateKey, publicKey };
}

function generate(session: Token, name: KeyName, kind: 'rsa' | 'ec'): void {
  const { library, handle } = session;
  for (const objectClass of [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY])
    for (const object of findObjects(session, name, objectClass)) library.C_DestroyObject(handle, object);
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: session.prefix + name },
    { type: pkcs11js.CKA_ID, value: Buffer.from(session.prefix + name) },
  ];
  const publicTemplate =
    kind === 'rsa'
      ? [
          { type: pkcs11js.CKA_MODULUS_BITS, value: RSA_BITS },
          { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        ]
      : [{ type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMETERS }];
  // Private keys are made in the token, sensitive and never extractable: no call returns their value.
  const privateTemplate = [
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
  ];
  const mechanism = kind === 'rsa' ? pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN : pkcs11js.CKM_EC_KEY_PAIR_GEN;
  tokenCall(name, 'generate', () =>
    library.C_GenerateKeyPair(
      handle,
      { mechanism },
      [...common, { type: pkcs11js.CKA_VERIFY, value: true }, ...publicTemplate],
      [...common, ...privateTemplate],
    ),
  );
}

function attribute(session: Token, object: pkcs11js.Handle, type: number): Buffer {
  const [found] = session.library.C_GetAttributeValue(session.handle, object, [{ type }]);
  if (!(found?.value instanceof Buffer))
    throw new KeyCustodyError('ERR_KEY_CUSTODY_TOKEN_OPERATION', 'the PKCS#11 token returned no public key value');
  return found.value;
}

function rsaPublicKeyInfo(session: Token, publicKey: pkcs11js.Handle): Uint8Array {
  const n = base64UrlEncode(attribute(session, publicKey, pkcs11js.CKA_MODULUS));
  const e = base64UrlEncode(attribute(session, publicKey, pkcs11js.CKA_PUBLIC_EXPONENT));
  return new Uint8Array(
    createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' }).export({ type: 'spki', format: 'der' }),
  );
}

function ecPublicKey(session: Token, publicKey: pkcs11js.Handle): EcPublicKey {
  const point = attribute(session, publicKey, pkcs11js.CKA_EC_POINT);
  // CKA_EC_POINT is the DER OCTET STRING of the uncompressed point (PKCS#11 v2.40 §2.3.3); some tokens give it bare.
  const raw = point.length === 67 && point[0] === 0x04 && point[1] === 0x41 ? point.subarray(2) : point;
  if (raw.length !== 65 || raw[0] !== 0x04)
    throw new KeyCustodyError(
      'ERR_KEY_CUSTODY_TOKEN_OPERATION',
      'the PKCS#11 token returned no uncompressed P-256 point',
    );
  return { crv: 'P-256', x: new Uint8Array(raw.subarray(1, 33)), y: new Uint8Array(raw.subarray(33)) };
}

function signWith(
  session: Token,
  name: KeyName,
  key: pkcs11js.Handle,
  mechanism: pkcs11js.Mechanism,
  data: Uint8Array,
): Promise<Uint8Array> {
  // C_SignInit and C_Sign run back to back in one synchronous turn, so calls on the one session never interleave.
  return Promise.resolve(
    tokenCall(name, 'sign with', () => {
      session.library.C_SignInit(session.handle, mechanism, key);
      return new Uint8Array(session.library.C_Sign(session.handle, Buffer.from(data), Buffer.alloc(512)));
    }),
  );
}

function rsaSigner(session: Token, name: RsaKeyName): Signer {
  const { privateKey, publicKey } = keyPair(session, name);
  return {
    algorithm: 'sha256WithRSAEncryption',
    publicKeyInfo: rsaPublicKeyInfo(session, publicKey),
    sign: (data) => signWith(session, name, privateKey, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, data),
  };
}

function cardKey(session: Token, name: CardKeyName): CardKeyPair {
  const { privateKey, publicKey } = keyPair(session, name);
  const pss = {
    mechanism: pkcs11js.CKM_RSA_PKCS_PSS,
    parameter: {
      type: pkcs11js.CK_PARAMS_RSA_PSS,
      hashAlg: pkcs11js.CKM_SHA256,
      mgf: pkcs11js.CKG_MGF1_SHA256,
      saltLen: 32,
    },
  };
  const key: CardPrivateKey = {
    size: RSA_BITS / 8,
    signPkcs1: (data) => signWith(session, name, privateKey, { mechanism: pkcs11js.CKM_RSA_PKCS }, data),
    signPssHash: (hash) => signWith(session, name, privateKey, pss, hash),
  };
  return { key, publicKeyInfo: rsaPublicKeyInfo(session, publicKey) };
}

function ecKey(session: Token, name: EcKeyName): EcPrivateKey {
  const { privateKey, publicKey } = keyPair(session, name);
  return {
    publicKey: ecPublicKey(session, publicKey),
    // CKM_ECDSA signs a hash computed outside (every token has it; CKM_ECDSA_SHA256 is optional) and returns r‖s.
    signEs256: (data) =>
      signWith(
        session,
        name,
        privateKey,
        { mechanism: pkcs11js.CKM_ECDSA },
        createHash('sha256').update(data).digest(),
      ),
    deriveSharedSecret: () =>
      Promise.reject(new KeyCustodyError('ERR_KEY_CUSTODY_USAGE', `the key "${name}" only signs; it agrees no keys`)),
  };
}

/** Options of {@link openPkcs11Custody}. */
export interface Pkcs11CustodyOptions {
  /** RFC 7512 URI naming the token (`pkcs11:token=openmyna;module-path=…?pin-source=…`). */
  readonly uri: string;
  /** The PKCS#11 library, if the URI has no `module-path` (else OPENMYNA_PKCS11_MODULE). */
  readonly modulePath?: string;
  /** The user PIN, if neither the URI's `pin-source` nor OPENMYNA_PKCS11_PIN gives it. */
  readonly pin?: string;
  /**
   * Objects are labelled `openmyna:<namespace>/<name>` (default namespace: none, `openmyna:<name>`), so one
   * token can hold several authorities (say, a sandbox and a test run).
   */
  readonly namespace?: string;
}

/**
 * A custody whose private keys live in a PKCS#11 token, made there as sensitive, non-extractable
 * objects (CKA_LABEL `openmyna:<name>`, CKA_ID the same bytes): it signs through the token and nothing reads the keys.
 */
export async function openPkcs11Custody(options: Pkcs11CustodyOptions): Promise<KeyCustody> {
  const opened = await openPkcs11Session(parsePkcs11Uri(options.uri), {
    uriText: options.uri,
    ...(options.modulePath !== undefined ? { modulePath: options.modulePath } : {}),
    ...(options.pin !== undefined ? { pin: options.pin } : {}),
  });
  const session: Token = { ...opened, prefix: `openmyna:${options.namespace ? `${options.namespace}/` : ''}` };
  return {
    backend: 'pkcs11',
    has: (name) => Promise.resolve().then(() => findObjects(session, name, pkcs11js.CKO_PRIVATE_KEY).length > 0),
    rsaSigner: (name) => Promise.resolve().then(() => rsaSigner(session, name)),
    cardKey: (name) => Promise.resolve().then(() => cardKey(session, name)),
    ecKey: (name) => Promise.resolve().then(() => ecKey(session, name)),
    createRsaSigner: (name) =>
      Promise.resolve().then(() => {
        generate(session, name, 'rsa');
        return rsaSigner(session, name);
      }),
    createCardKey: (name) =>
      Promise.resolve().then(() => {
        generate(session, name, 'rsa');
        return cardKey(session, name);
      }),
    createEcKey: (name) =>
      Promise.resolve().then(() => {
        generate(session, name, 'ec');
        return ecKey(session, name);
      }),
    close: () => {
      session.close();
      return Promise.resolve();
    },
  };
}
