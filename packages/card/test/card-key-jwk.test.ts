import { SoftwareCardKey } from '@openmyna/card';
import { describe, expect, it } from 'vitest';

// Regression (issue 22): the card key read its JWK with a hand-written atob codec.

describe('a card key from its JWK', () => {
  it('reads the JWK that Web Crypto exports, and refuses a member that is not base64url with ERR_CARD_KEY', async () => {
    const { jwk } = await SoftwareCardKey.generate();
    expect(new SoftwareCardKey(jwk).size).toBe(256);
    for (const bad of ['a', 'AQ==', 'AB+/']) {
      let thrown: unknown;
      try {
        new SoftwareCardKey({ ...jwk, d: bad });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'ERR_CARD_KEY' });
      expect((thrown as Error).cause).toMatchObject({ code: 'ERR_BASE64' });
    }
  });
});
