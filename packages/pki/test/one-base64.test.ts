import { base64ToBytes, bytesToBase64, fromPem, toPem } from '@openmyna/pki';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Regression (issue 22): pki kept its own atob/btoa codecs beside @openmyna/core's strict one.

describe('pki base64 through @openmyna/core', () => {
  it('round-trips base64 and PEM for any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
        expect(fromPem(toPem(bytes, 'CERTIFICATE'), 'CERTIFICATE')).toEqual([bytes]);
      }),
    );
  });

  it.each(['YQ', 'YR==', 'Y Q==', 'YQ==\n', '@@@@'])('refuses the non-canonical base64 %j with ERR_BASE64', (text) => {
    expect(() => base64ToBytes(text)).toThrow(expect.objectContaining({ code: 'ERR_BASE64' }));
  });

  it('reads PEM bodies broken into lines of any length (RFC 7468 §3)', () => {
    const pem = '-----BEGIN CERTIFICATE-----\r\nAAEC\r\n  AwQF\n-----END CERTIFICATE-----\n';
    expect(fromPem(pem, 'CERTIFICATE')).toEqual([Uint8Array.of(0, 1, 2, 3, 4, 5)]);
  });

  it.each(['AAE', 'AAF=', 'AA!C'])('refuses the PEM body %j with ERR_PEM_MALFORMED', (body) => {
    expect(() => fromPem(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`, 'CERTIFICATE')).toThrow(
      expect.objectContaining({ code: 'ERR_PEM_MALFORMED' }),
    );
  });
});
