import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  CardError,
  decodeJpkiAuthPresentation,
  decodeKenhojoPresentation,
  encodeJpkiAuthPresentation,
  encodeKenhojoPresentation,
  loginStatement,
  REQUEST_BINDING_OID,
  requestBindingAttribute,
} from '../src/index.js';

describe('the card formats the wallet writes and the verifier reads', () => {
  it('round-trips jp_kenhojo and jpki_auth presentations (property)', () => {
    const bytes = fc.uint8Array({ maxLength: 200 });
    fc.assert(
      fc.property(bytes, bytes, fc.option(bytes, { nil: undefined }), (a, b, c) => {
        const records = { integrityRecord: a, cvCertificate: b, ...(c ? { myNumberFile: c } : {}) };
        expect(decodeKenhojoPresentation(encodeKenhojoPresentation(records))).toEqual(records);
        expect(decodeJpkiAuthPresentation(encodeJpkiAuthPresentation({ certificate: a, signature: b }))).toEqual({
          certificate: a,
          signature: b,
        });
      }),
    );
  });

  it('refuses a non-canonical base64url member with CardError ERR_PRESENTATION_FORMAT', () => {
    // "AB" has non-zero trailing bits: "AA" is the one spelling of that byte.
    const bytes = new TextEncoder().encode('{"certificate":"AB","signature":""}');
    expect(() => decodeJpkiAuthPresentation(bytes)).toThrow(CardError);
    expect(() => decodeJpkiAuthPresentation(bytes)).toThrow(
      expect.objectContaining({ code: 'ERR_PRESENTATION_FORMAT' }),
    );
  });

  it('binds the login statement and the request binding to the relying party', () => {
    expect(new TextDecoder().decode(loginStatement({ value: 'v', clientId: 'x509_hash:rp' }, 'n'))).toBe(
      'openmyna/jpki-login/v1\nx509_hash:rp\nv\nn\n',
    );
    const one = requestBindingAttribute({ clientId: 'a', nonce: 'n' });
    expect(one.oid).toBe(REQUEST_BINDING_OID);
    expect(one.value).not.toEqual(requestBindingAttribute({ clientId: 'b', nonce: 'n' }).value);
  });
});
