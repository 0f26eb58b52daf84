import { encodeDistinguishedName, formatDerName, nameAttributeText, OID, type NameAttribute } from '@openmyna/pki';
import { buildName, encodeName, formatName } from '@openmyna/pki/ca';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const attribute: fc.Arbitrary<NameAttribute> = fc.oneof(
  fc.tuple(fc.constant('C' as const), fc.constantFrom('JP', 'US')),
  fc.tuple(fc.constantFrom('O' as const, 'OU' as const, 'L' as const, 'CN' as const), fc.string({ minLength: 1 })),
);

describe('distinguished names without asn1-schema classes', () => {
  it('encodes the same DER as the asn1-schema Name the CA builds', () => {
    fc.assert(
      fc.property(fc.array(attribute, { maxLength: 6 }), (attributes) => {
        expect(encodeDistinguishedName(attributes)).toEqual(encodeName(buildName(attributes)));
      }),
    );
  });

  it('formats and reads a name as the asn1-schema Name does', () => {
    const attributes: NameAttribute[] = [
      ['C', 'JP'],
      ['O', 'JPKI'],
      ['OU', '公的個人認証サービス'],
      ['CN', 'テスト　太郎'],
    ];
    const der = encodeDistinguishedName(attributes);
    expect(formatDerName(der)).toBe(formatName(buildName(attributes)));
    expect(nameAttributeText(der, OID.countryName)).toBe('JP');
    expect(nameAttributeText(der, OID.localityName)).toBeUndefined();
  });

  it('rejects a name that is not DER with ERR_DER_MALFORMED', () => {
    expect(() => formatDerName(Uint8Array.of(0x30, 0x05, 0x31))).toThrow(
      expect.objectContaining({ code: 'ERR_DER_MALFORMED' }),
    );
  });
});
