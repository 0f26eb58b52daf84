import { constants, createPublicKey, verify } from 'node:crypto';

import { SoftwareCardKey } from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

let generated: Awaited<ReturnType<typeof SoftwareCardKey.generate>>;

beforeAll(async () => {
  generated = await SoftwareCardKey.generate();
});

describe('nodeCardKey (OpenSSL private operation)', () => {
  it('signs PKCS#1 v1.5 blocks exactly as the BigInt key does', async () => {
    const node = nodeCardKey(generated.jwk);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 245 }), async (data) => {
        expect(await node.signPkcs1(data)).toEqual(await generated.key.signPkcs1(data));
      }),
      { numRuns: 20 },
    );
  });

  it('makes PSS signatures that OpenSSL verifies', async () => {
    const message = new TextEncoder().encode('openmyna');
    const signature = await nodeCardKey(generated.jwk).signPssHash(sha256(message));
    const publicKey = createPublicKey({ key: Buffer.from(generated.publicKeyInfo), format: 'der', type: 'spki' });
    expect(
      verify(
        'sha256',
        message,
        { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        signature,
      ),
    ).toBe(true);
  });

  it('refuses an incomplete key with a typed error', () => {
    expect(() => nodeCardKey({ kty: 'RSA', n: 'AQAB', e: 'AQAB' })).toThrow(
      expect.objectContaining({ code: 'ERR_CARD_KEY' }),
    );
  });
});
