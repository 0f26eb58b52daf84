import { AsnConvert } from '@peculiar/asn1-schema';
import type { Name } from '@peculiar/asn1-x509';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  Certificate,
  CertificatePolicies,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  IssueAlternativeName,
  KeyUsage,
  type Extension,
} from '@peculiar/asn1-x509';
import { SoftwareSigner } from '@openmyna/pki';
import { DEFAULT_ISSUER_ALT_NAME, encodeName, formatName, buildName } from '@openmyna/pki/ca';
import { describe, expect, it } from 'vitest';

import { readVector } from '../../../test-support/test-vectors.js';
import { NOW, syntheticHolder, testHierarchy } from './fixtures.js';

/*
 * Our 利用者証明用 certificate against the real J-LIS one (test-vectors/jpki-real), extension by
 * extension (issue 18, finding 8). What may differ is listed with each: names, keys, serials, dates and
 * the addresses of the services — never which extensions there are, their order, criticality or shape.
 */

const extensionsOf = (der: Uint8Array): Extension[] =>
  AsnConvert.parse(der, Certificate).tbsCertificate.extensions ?? [];
const valueOf = <T>(extension: Extension | undefined, type: new () => T): T =>
  AsnConvert.parse(extension!.extnValue, type);
const attributeTypes = (name: Name) => Array.from(name, (rdn) => Array.from(rdn, (attribute) => attribute.type));

describe('our JPKI authentication certificate, extension by extension against J-LIS’s', async () => {
  const real = extensionsOf(readVector('jpki-real/auth-cert-myna.cer'));
  const { ca } = await testHierarchy('authentication');
  const holder = syntheticHolder(3);
  const ours = extensionsOf(
    await ca.issueEndEntity({
      profile: 'jpki-authentication',
      subjectPublicKeyInfo: (await SoftwareSigner.generate()).publicKeyInfo,
      holder,
      issuedAt: NOW,
    }),
  );
  const find = (list: Extension[], oid: string) => list.find((extension) => extension.extnID === oid);

  it('has the same extensions, in the same order, with the same criticality', () => {
    expect(ours.map(({ extnID, critical }) => [extnID, critical])).toEqual(
      real.map(({ extnID, critical }) => [extnID, critical]),
    );
  });

  it('keyUsage and extKeyUsage: identical', () => {
    for (const oid of ['2.5.29.15', '2.5.29.37'])
      expect(Buffer.from(find(ours, oid)!.extnValue.buffer)).toEqual(Buffer.from(find(real, oid)!.extnValue.buffer));
    expect(valueOf(find(ours, '2.5.29.15'), KeyUsage).toJSON()).toEqual(['digitalSignature']);
    expect(valueOf(find(ours, '2.5.29.37'), ExtendedKeyUsage)).toEqual(
      valueOf(find(real, '2.5.29.37'), ExtendedKeyUsage),
    );
  });

  it('certificatePolicies: the same policy OID, one CPS qualifier (its URI may differ)', () => {
    const [policy] = valueOf(find(ours, '2.5.29.32'), CertificatePolicies);
    const [expected] = valueOf(find(real, '2.5.29.32'), CertificatePolicies);
    expect(policy!.policyIdentifier).toBe(expected!.policyIdentifier);
    expect(policy!.policyQualifiers?.map((q) => q.policyQualifierId)).toEqual(
      expected!.policyQualifiers?.map((q) => q.policyQualifierId),
    );
  });

  it('issuerAltName: the same directoryName', () => {
    const [name] = valueOf(find(ours, '2.5.29.18'), IssueAlternativeName);
    const [expected] = valueOf(find(real, '2.5.29.18'), IssueAlternativeName);
    expect(formatName(name!.directoryName!)).toBe(formatName(expected!.directoryName!));
    expect(encodeName(name!.directoryName!)).toEqual(encodeName(buildName(DEFAULT_ISSUER_ALT_NAME.authentication)));
  });

  it('cRLDistributionPoints: a directoryName of the same structure (the municipality differs), and a URI to fetch', () => {
    const [point] = valueOf(find(ours, '2.5.29.31'), CRLDistributionPoints);
    const [expected] = valueOf(find(real, '2.5.29.31'), CRLDistributionPoints);
    const [directory, uri] = point!.distributionPoint!.fullName!;
    const realDirectory = expected!.distributionPoint!.fullName![0]!.directoryName!;
    expect(attributeTypes(directory!.directoryName!)).toEqual(attributeTypes(realDirectory));
    // The first four RDNs are the same words; then the prefecture and municipality (J-LIS: in romaji).
    const rdns = (name: Name) => formatName(name).split(', ');
    expect(rdns(directory!.directoryName!).slice(0, 4)).toEqual(rdns(realDirectory).slice(0, 4));
    expect(rdns(directory!.directoryName!).slice(4)).toEqual([
      `OU=${holder.prefecture}`,
      `CN=${holder.municipality} CRLDP`,
    ]);
    // Allowed difference: J-LIS names only the directory (fetched over LDAP); we add the HTTP URI.
    expect(uri!.uniformResourceIdentifier).toMatch(/^http:\/\/.*\/crl\/authentication\/\d{5}\.crl$/);
  });

  it('authorityInfoAccess: one OCSP responder (its URI differs)', () => {
    const access = valueOf(find(ours, '1.3.6.1.5.5.7.1.1'), AuthorityInfoAccessSyntax);
    const expected = valueOf(find(real, '1.3.6.1.5.5.7.1.1'), AuthorityInfoAccessSyntax);
    expect(access.map((entry) => entry.accessMethod)).toEqual(expected.map((entry) => entry.accessMethod));
  });

  it('authorityKeyIdentifier: key id, issuer directoryName and serial, as on the card', () => {
    const aki = valueOf(find(ours, '2.5.29.35'), AuthorityKeyIdentifier);
    const expected = valueOf(find(real, '2.5.29.35'), AuthorityKeyIdentifier);
    expect([!!aki.keyIdentifier, !!aki.authorityCertIssuer, !!aki.authorityCertSerialNumber]).toEqual([
      !!expected.keyIdentifier,
      !!expected.authorityCertIssuer,
      !!expected.authorityCertSerialNumber,
    ]);
    // Ours names our root: its own (self-signed) name and its serial.
    const root = AsnConvert.parse(ca.certificate, Certificate).tbsCertificate;
    expect(encodeName(aki.authorityCertIssuer![0]!.directoryName!)).toEqual(encodeName(root.issuer));
    expect(Buffer.from(aki.authorityCertSerialNumber!)).toEqual(Buffer.from(root.serialNumber));
  });
});
