import { base64UrlDecode } from '@openmyna/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { modPow } from '@openmyna/pki';

import { CardError } from './errors.js';

/**
 * A card key's private operation. Cards sign what they are given: with `80 2A` P1 = 00 the data is a
 * DigestInfo the host built, which Web Crypto cannot sign as such, so the key does RSA itself.
 */
export interface CardPrivateKey {
  /** The modulus length in bytes (256 for RSA-2048). */
  readonly size: number;
  /** EMSA-PKCS1-v1_5 type 01 padding around `data` (RFC 8017 §9.2 step 5), then RSASP1. */
  signPkcs1(data: Uint8Array): Promise<Uint8Array>;
  /** EMSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte random salt over `hash` (RFC 8017 §9.1.1), then RSASP1. */
  signPssHash(hash: Uint8Array): Promise<Uint8Array>;
}

interface RsaPrivateNumbers {
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
}

/** RSASP1 (RFC 8017 §5.2.1) on a block as long as the modulus: the private operation alone. */
export type RsaPrivateOperation = (block: Uint8Array) => Uint8Array;

/**
 * An RSA private key held in software, built from a private JWK: the card's padding (PKCS#1 v1.5
 * type 01 around what the host sends, or EMSA-PSS) and RSASP1 — BigInt RSA with CRT and blinding
 * unless a faster private operation over the same key is given (`nodeCardKey` in
 * `@openmyna/card/node` uses OpenSSL's). The software stand-in for a card chip or a phone's secure element.
 */
export class SoftwareCardKey implements CardPrivateKey {
  readonly size: number;
  readonly #key: RsaPrivateNumbers;
  readonly #random: (length: number) => Uint8Array;
  readonly #privateOperationOverride: RsaPrivateOperation | undefined;

  constructor(
    jwk: JsonWebKey,
    random: (length: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
    privateOperation?: RsaPrivateOperation,
  ) {
    const fields = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;
    if (jwk.kty !== 'RSA' || fields.some((field) => typeof jwk[field] !== 'string')) {
      throw new CardError('ERR_CARD_KEY', 'a card key needs a complete RSA private JWK');
    }
    const number = (field: (typeof fields)[number]) => BigInt(`0x${bytesToHex(base64UrlToBytes(jwk[field]!)) || '0'}`);
    this.#key = {
      n: number('n'),
      e: number('e'),
      d: number('d'),
      p: number('p'),
      q: number('q'),
      dp: number('dp'),
      dq: number('dq'),
      qi: number('qi'),
    };
    this.size = Math.ceil(this.#key.n.toString(16).length / 2);
    this.#random = random;
    this.#privateOperationOverride = privateOperation;
  }

  /** A new RSA-2048 key (e = 65537) made by Web Crypto; returns the key and its private JWK for storage. */
  static async generate(): Promise<{ key: SoftwareCardKey; jwk: JsonWebKey; publicKeyInfo: Uint8Array }> {
    const pair = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
    const publicKeyInfo = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    return { key: new SoftwareCardKey(jwk), jwk, publicKeyInfo };
  }

  signPkcs1(data: Uint8Array): Promise<Uint8Array> {
    // RFC 8017 §9.2 step 3: at least 11 bytes of padding (00 01 FF×8 … 00).
    if (data.length === 0 || data.length > this.size - 11) {
      return Promise.reject(new CardError('ERR_CARD_KEY', `PKCS#1 v1.5 signs 1 to ${this.size - 11} bytes`));
    }
    const block = new Uint8Array(this.size).fill(0xff);
    block[0] = 0x00;
    block[1] = 0x01;
    block[this.size - data.length - 1] = 0x00;
    block.set(data, this.size - data.length);
    return Promise.resolve(this.#privateOperation(block));
  }

  signPssHash(hash: Uint8Array): Promise<Uint8Array> {
    if (hash.length !== 32) return Promise.reject(new CardError('ERR_CARD_KEY', 'PSS signs a 32-byte SHA-256 hash'));
    const emBits = this.#key.n.toString(2).length - 1;
    const emLength = Math.ceil(emBits / 8);
    const salt = this.#random(32);
    // RFC 8017 §9.1.1: M' = 00×8 ‖ mHash ‖ salt; H = Hash(M'); DB = PS ‖ 01 ‖ salt; maskedDB = DB ⊕ MGF1(H).
    const mPrime = new Uint8Array(8 + 32 + 32);
    mPrime.set(hash, 8);
    mPrime.set(salt, 40);
    const h = sha256(mPrime);
    const db = new Uint8Array(emLength - 33);
    db[db.length - 33] = 0x01;
    db.set(salt, db.length - 32);
    const mask = mgf1(h, db.length);
    for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
    db[0]! &= 0xff >> (8 * emLength - emBits);
    // EM = maskedDB ‖ H ‖ BC
    const block = new Uint8Array(this.size);
    const start = this.size - emLength;
    block.set(db, start);
    block.set(h, start + db.length);
    block[this.size - 1] = 0xbc;
    return Promise.resolve(this.#privateOperation(block));
  }

  /** RSASP1 with CRT (RFC 8017 §5.2.1) and multiplicative blinding against timing. */
  #privateOperation(block: Uint8Array): Uint8Array {
    if (this.#privateOperationOverride) return this.#privateOperationOverride(block);
    const { n, e, p, q, dp, dq, qi } = this.#key;
    const m = BigInt(`0x${bytesToHex(block)}`);
    if (m >= n) throw new CardError('ERR_CARD_KEY', 'the block is not smaller than the modulus');
    let r = 0n;
    while (r <= 1n || r >= n) r = BigInt(`0x${bytesToHex(this.#random(this.size))}`) % n;
    const blinded = (m * modPow(r, e, n)) % n;
    const m1 = modPow(blinded % p, dp, p);
    const m2 = modPow(blinded % q, dq, q);
    const h = (((m1 - m2) % p) + p) % p;
    const s = (m2 + ((h * qi) % p) * q) % n;
    const unblinded = (s * modInverse(r, n)) % n;
    return hexToBytes(unblinded.toString(16).padStart(this.size * 2, '0'));
  }
}

function mgf1(seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let counter = 0, offset = 0; offset < length; counter++, offset += 32) {
    const input = new Uint8Array(seed.length + 4);
    input.set(seed);
    new DataView(input.buffer).setUint32(seed.length, counter);
    out.set(sha256(input).subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}

function modInverse(value: bigint, modulus: bigint): bigint {
  let [oldR, r] = [value % modulus, modulus];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new CardError('ERR_CARD_KEY', 'the blinding factor is not invertible');
  return ((oldS % modulus) + modulus) % modulus;
}

/** A JWK member (RFC 7518 §6.3): unpadded base64url; anything else is no card key. */
function base64UrlToBytes(text: string): Uint8Array {
  try {
    return base64UrlDecode(text);
  } catch (error) {
    throw new CardError('ERR_CARD_KEY', 'a card key JWK member is not base64url', { cause: error });
  }
}
