import { p256 } from '@noble/curves/nist.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';

import {
  ecdsaDerToRaw,
  ecPublicKey,
  ecPublicKeyFromJwk,
  webMdocCrypto,
  type EcPublicKey,
  type MdocCrypto,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import { readVectorJson } from '../../../test-support/test-vectors.js';
import { ecPublicKeyFromSpki } from './internal.js';

interface WycheproofFile<G> {
  testGroups: (G & { tests: Test[] })[];
}
type Test = Record<string, unknown> & { tcId: number; result: 'valid' | 'invalid' | 'acceptable' };
const cases = <G>(file: string) => {
  const data = readVectorJson<WycheproofFile<G>>(`wycheproof/${file}`);
  return data.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test: test })));
};
const hex = (value: unknown): Uint8Array => hexToBytes(value as string);

/** Collects the tcIds where our wrapper's outcome disagrees with Wycheproof ('acceptable' agrees with both). */
async function mismatches<T extends { test: Test }>(
  all: T[],
  outcome: (entry: T) => Promise<boolean>,
): Promise<number[]> {
  const wrong: number[] = [];
  for (const entry of all) {
    let ok: boolean;
    try {
      ok = await outcome(entry);
    } catch {
      ok = false;
    }
    if (entry.test.result === 'acceptable') continue;
    if (ok !== (entry.test.result === 'valid')) wrong.push(entry.test.tcId);
  }
  return wrong;
}

const uncompressed = (point: string): EcPublicKey => {
  const bytes = hexToBytes(point);
  return ecPublicKey(bytes.slice(1, 33), bytes.slice(33, 65));
};

describe.each<[string, MdocCrypto]>([
  ['node', nodeMdocCrypto],
  ['web', webMdocCrypto],
])('Wycheproof through the mdoc crypto wrappers (%s)', (_name, crypto) => {
  it('ECDSA P-256 SHA-256, DER signatures (X.509 path: strict DER → r‖s → verify)', async () => {
    const all = cases<{ publicKey: { uncompressed: string } }>('ecdsa_secp256r1_sha256_test.json');
    const wrong = await mismatches(all, async ({ group, test }) => {
      const raw = ecdsaDerToRaw(hex(test['sig']));
      return (
        raw !== undefined &&
        crypto.verifySignature(uncompressed(group.publicKey.uncompressed), 'SHA-256', hex(test['msg']), raw)
      );
    });
    expect(all.length).toBeGreaterThan(400);
    expect(wrong).toEqual([]);
  });

  it('ECDSA P-256 SHA-256, IEEE P1363 signatures (COSE path)', async () => {
    const all = cases<{ publicKey: { uncompressed: string } }>('ecdsa_secp256r1_sha256_p1363_test.json');
    const wrong = await mismatches(all, ({ group, test }) =>
      crypto.verifySignature(uncompressed(group.publicKey.uncompressed), 'SHA-256', hex(test['msg']), hex(test['sig'])),
    );
    expect(all.length).toBeGreaterThan(200);
    expect(wrong).toEqual([]);
  });

  it('ECDH P-256 with JWK public keys (session and EMacKey agreement)', async () => {
    const all = cases<object>('ecdh_secp256r1_webcrypto_test.json');
    const wrong = await mismatches(all, async ({ test }) => {
      const key = await crypto.importEcPrivateKey(test['private'] as JsonWebKey);
      const shared = await key.deriveSharedSecret(ecPublicKeyFromJwk(test['public'] as JsonWebKey));
      return Buffer.from(shared).toString('hex') === test['shared'];
    });
    expect(wrong).toEqual([]);
  });

  it('ECDH P-256 with SubjectPublicKeyInfo public keys (certificate keys)', async () => {
    const all = cases<object>('ecdh_secp256r1_test.json');
    const wrong = await mismatches(all, async ({ test }) => {
      const d = hex(test['private']);
      const scalar = d.length > 32 ? d.slice(d.length - 32) : Uint8Array.from([...new Uint8Array(32 - d.length), ...d]);
      const key = await crypto.importEcPrivateKey({
        ...publicKeyOf(scalar),
        d: Buffer.from(scalar).toString('base64url'),
      });
      const shared = await key.deriveSharedSecret(ecPublicKeyFromSpki(hex(test['public'])));
      return Buffer.from(shared).toString('hex') === test['shared'];
    });
    expect(all.length).toBeGreaterThan(600);
    expect(wrong).toEqual([]);
  });

  it('HKDF-SHA-256', async () => {
    const all = cases<object>('hkdf_sha256_test.json');
    const wrong = await mismatches(all, async ({ test }) => {
      const okm = await crypto.hkdfSha256(
        hex(test['ikm']),
        hex(test['salt']),
        hex(test['info']),
        test['size'] as number,
      );
      return Buffer.from(okm).toString('hex') === test['okm'];
    });
    expect(wrong).toEqual([]);
  });

  it('HMAC-SHA-256 (full and truncated tags)', async () => {
    const all = cases<{ tagSize: number }>('hmac_sha256_test.json');
    const wrong = await mismatches(all, async ({ group, test }) => {
      const tag = await crypto.hmacSha256(hex(test['key']), hex(test['msg']));
      return Buffer.from(tag.subarray(0, group.tagSize / 8)).toString('hex') === test['tag'];
    });
    expect(wrong).toEqual([]);
  });

  it('AES-GCM with 96-bit IVs (encrypt reproduces ct‖tag; decrypt accepts only authentic input)', async () => {
    // ISO/IEC 18013-5 §9.1.1.5 IVs are 12 bytes, and the wrappers refuse any other length (NIST SP 800-38D §8.2).
    const all = cases<{ ivSize: number }>('aes_gcm_test.json');
    const standard = all.filter(({ group }) => group.ivSize === 96);
    const wrong = await mismatches(standard, async ({ test }) => {
      const key = hex(test['key']);
      const iv = hex(test['iv']);
      const aad = hex(test['aad']);
      const sealed = Uint8Array.from([...hex(test['ct']), ...hex(test['tag'])]);
      const plaintext = await crypto.aesGcmDecrypt(key, iv, sealed, aad);
      const again = await crypto.aesGcmEncrypt(key, iv, plaintext, aad);
      return Buffer.from(plaintext).toString('hex') === test['msg'] && Buffer.from(again).equals(Buffer.from(sealed));
    });
    expect(standard.length).toBeGreaterThan(150);
    expect(wrong).toEqual([]);
    for (const { test } of all.filter(({ group }) => group.ivSize !== 96)) {
      const sealed = Uint8Array.from([...hex(test['ct']), ...hex(test['tag'])]);
      await expect(
        crypto.aesGcmDecrypt(hex(test['key']), hex(test['iv']), sealed, hex(test['aad'])),
      ).rejects.toMatchObject({ code: 'ERR_SESSION_DECRYPT' });
    }
  });
});

/** The public JWK of a private scalar (Wycheproof gives only `d`; JWK import wants x and y too). */
function publicKeyOf(scalar: Uint8Array): JsonWebKey {
  const point = p256.Point.BASE.multiply(BigInt(`0x${Buffer.from(scalar).toString('hex')}`)).toBytes(false);
  return {
    kty: 'EC',
    crv: 'P-256',
    x: Buffer.from(point.slice(1, 33)).toString('base64url'),
    y: Buffer.from(point.slice(33)).toString('base64url'),
  };
}
