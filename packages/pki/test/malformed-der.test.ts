import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  decodeDigestInfo,
  encodeDigestInfo,
  encodeObjectIdentifier,
  parseCertificate,
  parseCrl,
  PkiError,
} from '@openmyna/pki';
import { assertDer, decodeObjectIdentifier } from './internal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readVector } from '../../../test-support/test-vectors.js';

const certificate = readVector('jpki-real/auth-cert-myna.cer');
const crl = readVector('pkits/crls/GoodCACRL.crl');

const codeOf = (action: () => unknown): string => {
  try {
    action();
  } catch (error) {
    return error instanceof PkiError ? error.code : `not a PkiError: ${String(error)}`;
  }
  return 'accepted';
};

/** Rewrites the outer length of a DER object in long form with one extra leading zero byte. */
function withNonMinimalOuterLength(der: Uint8Array): Uint8Array {
  const count = der[1]! & 0x7f;
  const length = der.subarray(2, 2 + count);
  return new Uint8Array([der[0]!, 0x80 | (count + 1), 0x00, ...length, ...der.subarray(2 + count)]);
}

describe('malformed DER is refused with typed errors', () => {
  it('reads the real certificate and a PKITS CRL as they are', () => {
    expect(parseCertificate(certificate).version).toBe(3);
    expect(parseCrl(crl).version).toBe(2);
  });

  it.each([
    ['a non-minimal outer length', () => parseCertificate(withNonMinimalOuterLength(certificate)), 'ERR_DER_MALFORMED'],
    ['trailing data', () => parseCertificate(new Uint8Array([...certificate, 0x00])), 'ERR_DER_MALFORMED'],
    ['truncation', () => parseCertificate(certificate.subarray(0, certificate.length - 1)), 'ERR_DER_MALFORMED'],
    [
      'a wrong outer tag',
      () => parseCertificate(new Uint8Array([0x31, ...certificate.subarray(1)])),
      'ERR_DER_MALFORMED',
    ],
    ['an indefinite length', () => parseCertificate(hexToBytes('3080020101' + '0000')), 'ERR_DER_MALFORMED'],
    ['a CRL with trailing data', () => parseCrl(new Uint8Array([...crl, 0x05, 0x00])), 'ERR_DER_MALFORMED'],
    ['a certificate given as a CRL', () => parseCrl(certificate), 'ERR_DER_MALFORMED'],
    ['a non-minimal INTEGER', () => assertDer(hexToBytes('3004020200' + '7f'), 'test'), 'ERR_DER_NOT_CANONICAL'],
    ['a BOOLEAN TRUE as 01', () => assertDer(hexToBytes('3003010101'), 'test'), 'ERR_DER_NOT_CANONICAL'],
    ['a constructed OCTET STRING', () => assertDer(hexToBytes('30062404040200ff'), 'test'), 'ERR_DER_NOT_CANONICAL'],
  ])('refuses %s', (_label, action, code) => {
    expect(codeOf(action)).toBe(code);
  });

  it('flags every changed length byte of the certificate header', () => {
    for (const index of [1, 2, 3]) {
      for (const delta of [1, -1]) {
        const changed = certificate.slice();
        changed[index] = (changed[index]! + delta) & 0xff;
        expect(codeOf(() => parseCertificate(changed))).toMatch(/^ERR_DER_/);
      }
    }
  });

  it('answers random bytes only with PkiErrors (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const result = codeOf(() => parseCertificate(bytes));
        expect(result.startsWith('ERR_') || result === 'accepted').toBe(true);
        expect(codeOf(() => parseCrl(bytes)).startsWith('ERR_')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('answers mutated certificates only with PkiErrors or a parse (property)', () => {
    fc.assert(
      fc.property(fc.nat(certificate.length - 1), fc.integer({ min: 1, max: 255 }), (index, xor) => {
        const changed = certificate.slice();
        changed[index]! ^= xor;
        const result = codeOf(() => parseCertificate(changed));
        expect(result === 'accepted' || result.startsWith('ERR_')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('DigestInfo', () => {
  const digest = new Uint8Array(32).fill(7);

  it('round-trips SHA-256 and SHA-1', () => {
    expect(decodeDigestInfo(encodeDigestInfo('SHA-256', digest))).toEqual({ algorithm: 'SHA-256', digest });
    expect(decodeDigestInfo(encodeDigestInfo('SHA-1', digest.subarray(0, 20))).algorithm).toBe('SHA-1');
  });

  it.each([
    ['a short digest', () => encodeDigestInfo('SHA-256', digest.subarray(1))],
    ['a truncated DigestInfo', () => decodeDigestInfo(encodeDigestInfo('SHA-256', digest).subarray(1))],
    [
      'an absent NULL',
      () => decodeDigestInfo(hexToBytes('302f300b0609608648016503040201' + '0420' + bytesToHex(digest))),
    ],
    ['an extra byte', () => decodeDigestInfo(new Uint8Array([...encodeDigestInfo('SHA-256', digest), 0]))],
  ])('refuses %s with ERR_DIGEST_INFO', (_label, action) => {
    expect(codeOf(action)).toBe('ERR_DIGEST_INFO');
  });
});

describe('OBJECT IDENTIFIER codec', () => {
  it('handles UUID arcs under 2.25 that asn1js cannot print', () => {
    const oid = '2.25.106684807915576052810572184230110786394';
    const der = encodeObjectIdentifier(oid);
    expect(decodeObjectIdentifier(der.subarray(2))).toBe(oid);
    expect(bytesToHex(encodeObjectIdentifier('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
  });

  it('round-trips any OID (property)', () => {
    const arc = fc.bigInt({ min: 0n, max: 2n ** 140n });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(arc, { maxLength: 6 }),
        (a, b, rest) => {
          const oid = [a, b, ...rest].join('.');
          expect(decodeObjectIdentifier(encodeObjectIdentifier(oid).subarray(2))).toBe(oid);
        },
      ),
    );
  });

  it('refuses leading zero groups and unfinished arcs', () => {
    expect(codeOf(() => decodeObjectIdentifier(hexToBytes('2a8001')))).toBe('ERR_DER_NOT_CANONICAL');
    expect(codeOf(() => decodeObjectIdentifier(hexToBytes('2a86')))).toBe('ERR_DER_MALFORMED');
    expect(codeOf(() => encodeObjectIdentifier('1.02.3'))).toBe('ERR_DER_MALFORMED');
  });
});
