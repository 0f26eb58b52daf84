import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

import type { CardPrivateKey } from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';
import type { EcPrivateKey, EcPublicKey } from '@openmyna/mdoc';
import type { Signer } from '@openmyna/pki';
import pkcs11js from 'pkcs11js';

import { KeyCustodyError } from './errors.js';
import type { CardKeyPair, KeyCustody } from './key-custody.js';
import { checkKeyName, type CardKeyName, type EcKeyName, type KeyName, type RsaKeyName } from './key-names.js';
import { openPkcs11Session, pkcs11ReturnValue, type Pkcs11Session } from './pkcs11-session.js';
import { parsePkcs11Uri } from './pkcs11-uri.js';

/** DER of the named curve P-256 (prime256v1, RFC 5480 §2.1.1.1), the CKA_EC_PARAMS of every EC key. */
const P256_PARAMETERS = Buffer.from('06082a8648ce3d030107', 'hex');
const RSA_BITS = 2048;

/** A logged-in session and the label prefix of this custody's objects. */
interface Token extends Pkcs11Session {
  readonly prefix: string;
  closed: boolean;
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

/** A key being made is labelled so until it replaces the old one: no reader takes it, and a failure keeps the old. */
const PENDING = '#pending';

function findObjects(session: Token, name: KeyName, objectClass: number, suffix = ''): pkcs11js.Handle[] {
  checkKeyName(name);
  const { library, handle } = session;
  library.C_FindObjectsInit(handle, [
    { type: pkcs11js.CKA_CLASS, value: objectClass },
    { type: pkcs11js.CKA_LABEL, value: session.prefix + name + suffix },
  ]);
  try {
    return library.C_FindObjects(handle, 16);
  } finally {
    library.C_FindObjectsFinal(handle);
  }
}

function keyPair(
  session: Token,
  name: KeyName,
  kind: 'rsa' | 'ec',
): { privateKey: pkcs11js.Handle; publicKey: pkcs11js.Handle } {
  const privateKeys = findObjects(session, name, pkcs11js.CKO_PRIVATE_KEY);
  const publicKeys = findObjects(session, name, pkcs11js.CKO_PUBLIC_KEY);
  const [privateKey] = privateKeys;
  const [publicKey] = publicKeys;
  if (!privateKey || !publicKey)
    throw new KeyCustodyError('ERR_KEY_CUSTODY_KEY_MISSING', `the PKCS#11 token holds no key "${name}"`);
  // Fail closed on anything but the one pair generate() makes: a second object under the label, a key of
  // another type, or one that was imported (not private, sensitive and non-extractable) is not ours.
  if (privateKeys.length > 1 || publicKeys.length > 1) throw notOurs(name, 'more than one object under its label');
  const keyType = kind === 'rsa' ? pkcs11js.CKK_RSA : pkcs11js.CKK_EC;
  if (
    flag(session, privateKey, pkcs11js.CKA_KEY_TYPE) !== keyType ||
    flag(session, publicKey, pkcs11js.CKA_KEY_TYPE) !== keyType
  )
    throw notOurs(name, `not an ${kind === 'rsa' ? 'RSA' : 'EC'} key`);
  if (
    flag(session, privateKey, pkcs11js.CKA_PRIVATE) !== 1 ||
    flag(session, privateKey, pkcs11js.CKA_SENSITIVE) !== 1 ||
    flag(session, privateKey, pkcs11js.CKA_EXTRACTABLE) !== 0
  )
    throw notOurs(name, 'a private key that is not private, sensitive and non-extractable');
  return { privateKey, publicKey };
}

const notOurs = (name: KeyName, what: string) =>
  new KeyCustodyError('ERR_KEY_CUSTODY_TOKEN_OPERATION', `the PKCS#11 token holds ${what} for "${name}"; refusing it`);

/** A CK_ULONG or CK_BBOOL attribute as a number. */
function flag(session: Token, object: pkcs11js.Handle, type: number): number {
  const value = attribute(session, object, type);
  return value.length === 1 ? value[0]! : value.readUInt32LE(0);
}

/** The public object must be the private key's: the same modulus, or (EC) a signature it verifies. */
function checkPairing(session: Token, name: KeyName, privateKey: pkcs11js.Handle, publicKey: KeyObject): void {
  const probe = Buffer.from(`openmyna key pairing ${name}`);
  const digest = createHash('sha256').update(probe).digest();
  const signature = tokenCall(name, 'sign with', () => {
    session.library.C_SignInit(session.handle, { mechanism: pkcs11js.CKM_ECDSA }, privateKey);
    return session.library.C_Sign(session.handle, digest, Buffer.alloc(512));
  });
  if (!verify('sha256', probe, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature))
    throw notOurs(name, "a public key that is not its private key's");
}

function generate(session: Token, name: KeyName, kind: 'rsa' | 'ec'): void {
  const { library, handle } = session;
  const destroy = (suffix: string) => {
    for (const objectClass of [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY])
      for (const object of findObjects(session, name, objectClass, suffix)) library.C_DestroyObject(handle, object);
  };
  // Leftovers of a creation that was interrupted were never handed out.
  destroy(PENDING);
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: session.prefix + name + PENDING },
    { type: pkcs11js.CKA_ID, value: Buffer.from(session.prefix + name + PENDING) },
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
  const made = tokenCall(name, 'generate', () =>
    library.C_GenerateKeyPair(
      handle,
      { mechanism },
      [...common, { type: pkcs11js.CKA_VERIFY, value: true }, ...publicTemplate],
      [...common, ...privateTemplate],
    ),
  );
  // Only now is the old key (if any) destroyed, and the new one takes its name.
  tokenCall(name, 'replace', () => {
    destroy('');
    const named = [
      { type: pkcs11js.CKA_LABEL, value: session.prefix + name },
      { type: pkcs11js.CKA_ID, value: Buffer.from(session.prefix + name) },
    ];
    library.C_SetAttributeValue(handle, made.privateKey, named);
    library.C_SetAttributeValue(handle, made.publicKey, named);
  });
}

function attribute(session: Token, object: pkcs11js.Handle, type: number): Buffer {
  const [found] = session.library.C_GetAttributeValue(session.handle, object, [{ type }]);
  if (!(found?.value instanceof Buffer))
    throw new KeyCustodyError('ERR_KEY_CUSTODY_TOKEN_OPERATION', 'the PKCS#11 token returned no public key value');
  return found.value;
}

function rsaPublicKeyInfo(
  session: Token,
  name: KeyName,
  privateKey: pkcs11js.Handle,
  publicKey: pkcs11js.Handle,
): Uint8Array {
  const modulus = attribute(session, publicKey, pkcs11js.CKA_MODULUS);
  // An RSA private key's modulus is public (PKCS#11 v2.40 §2.1.3): the public object must carry the same one.
  if (!modulus.equals(attribute(session, privateKey, pkcs11js.CKA_MODULUS)))
    throw notOurs(name, "a public key that is not its private key's");
  if (modulus.length !== RSA_BITS / 8) throw notOurs(name, `an RSA key that is not ${RSA_BITS} bits`);
  const n = base64UrlEncode(modulus);
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
  // A failure rejects the promise (never throws at the caller), and a closed custody's session (whose handle the
  // module may give another session) is never used.
  return Promise.resolve().then(() => {
    if (session.closed)
      throw new KeyCustodyError('ERR_KEY_CUSTODY_USAGE', `the key custody of "${name}" was closed; it signs no more`);
    return tokenCall(name, 'sign with', () => {
      session.library.C_SignInit(session.handle, mechanism, key);
      return new Uint8Array(session.library.C_Sign(session.handle, Buffer.from(data), Buffer.alloc(512)));
    });
  });
}

function rsaSigner(session: Token, name: RsaKeyName): Signer {
  const { privateKey, publicKey } = keyPair(session, name, 'rsa');
  return {
    algorithm: 'sha256WithRSAEncryption',
    publicKeyInfo: rsaPublicKeyInfo(session, name, privateKey, publicKey),
    sign: (data) => signWith(session, name, privateKey, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, data),
  };
}

function cardKey(session: Token, name: CardKeyName): CardKeyPair {
  const { privateKey, publicKey } = keyPair(session, name, 'rsa');
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
  return { key, publicKeyInfo: rsaPublicKeyInfo(session, name, privateKey, publicKey) };
}

function ecKey(session: Token, name: EcKeyName): EcPrivateKey {
  const { privateKey, publicKey: publicObject } = keyPair(session, name, 'ec');
  if (!attribute(session, privateKey, pkcs11js.CKA_EC_PARAMS).equals(P256_PARAMETERS))
    throw notOurs(name, 'an EC key that is not P-256');
  const publicKey = ecPublicKey(session, publicObject);
  const jwk = { kty: 'EC', crv: 'P-256', x: base64UrlEncode(publicKey.x), y: base64UrlEncode(publicKey.y) };
  checkPairing(session, name, privateKey, createPublicKey({ key: jwk, format: 'jwk' }));
  return {
    publicKey,
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
  const session: Token = {
    ...opened,
    prefix: `openmyna:${options.namespace ? `${options.namespace}/` : ''}`,
    closed: false,
  };
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
      session.closed = true;
      session.close();
      return Promise.resolve();
    },
  };
}
