import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  decodeJpkiAuthPresentation,
  decodeJpkiSignDigestPresentation,
  decodeKenhojoPresentation,
  encodeJpkiAuthPresentation,
  encodeJpkiSignDigestPresentation,
  encodeKenhojoPresentation,
} from '../src/index.js';

describe('vp_token encodings of the card applications', () => {
  it('round-trips 入力補助 records and JPKI authentications (property)', () => {
    const bytes = fc.uint8Array({ maxLength: 300 });
    fc.assert(
      fc.property(
        bytes,
        bytes,
        fc.option(bytes, { nil: undefined }),
        fc.option(bytes, { nil: undefined }),
        (a, b, c, d) => {
          const records = {
            integrityRecord: a,
            cvCertificate: b,
            ...(c ? { myNumberFile: c } : {}),
            ...(d ? { basicFourInfoFile: d } : {}),
          };
          expect(decodeKenhojoPresentation(encodeKenhojoPresentation(records))).toEqual(records);
          expect(decodeJpkiAuthPresentation(encodeJpkiAuthPresentation({ certificate: a, signature: b }))).toEqual({
            certificate: a,
            signature: b,
          });
          expect(
            decodeJpkiSignDigestPresentation(encodeJpkiSignDigestPresentation({ certificate: a, signature: b })),
          ).toEqual({ certificate: a, signature: b });
        },
      ),
    );
  });

  it('refuses anything else with ERR_PRESENTATION_FORMAT, never another error (property)', () => {
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.json().map((text) => new TextEncoder().encode(text)),
      fc.constant(new TextEncoder().encode('{"integrity_record":"*","cv_certificate":""}')),
      fc.constant(new TextEncoder().encode('{"integrity_record":"","cv_certificate":"","photo":""}')),
      fc.constant(new TextEncoder().encode('{"certificate":"","signature":"","digest":""}')),
      fc.constant(new TextEncoder().encode('{"certificate":"","signature":7}')),
    );
    fc.assert(
      fc.property(garbage, (input) => {
        for (const decode of [
          decodeKenhojoPresentation,
          decodeJpkiAuthPresentation,
          decodeJpkiSignDigestPresentation,
        ]) {
          try {
            decode(input);
          } catch (error) {
            if ((error as { code?: string }).code !== 'ERR_PRESENTATION_FORMAT') return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
