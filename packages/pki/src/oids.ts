/** The two JPKI hierarchies (card-spec §4). */
export type Hierarchy = 'signing' | 'authentication';

/** Object identifiers used across openmyna's PKI, named as in their specifications. */
export const OID = {
  // RFC 8017 / RFC 4055
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha1: '1.3.14.3.2.26',
  // RFC 5280 §4.2.1 extensions
  authorityKeyIdentifier: '2.5.29.35',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  cRLDistributionPoints: '2.5.29.31',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  anyPolicy: '2.5.29.32.0',
  // RFC 5280 §5.2 CRL extensions
  cRLNumber: '2.5.29.20',
  issuingDistributionPoint: '2.5.29.28',
  deltaCRLIndicator: '2.5.29.27',
  cRLReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
  freshestCRL: '2.5.29.46',
  // RFC 5280 §4.2.1.12 / RFC 6960
  idKpClientAuth: '1.3.6.1.5.5.7.3.2',
  idKpOcspSigning: '1.3.6.1.5.5.7.3.9',
  idAdOcsp: '1.3.6.1.5.5.7.48.1',
  idPkixOcspBasic: '1.3.6.1.5.5.7.48.1.1',
  idPkixOcspNonce: '1.3.6.1.5.5.7.48.1.2',
  idPkixOcspNocheck: '1.3.6.1.5.5.7.48.1.5',
  // RFC 5652 / RFC 5035 CMS
  idData: '1.2.840.113549.1.7.1',
  idSignedData: '1.2.840.113549.1.7.2',
  idContentType: '1.2.840.113549.1.9.3',
  idMessageDigest: '1.2.840.113549.1.9.4',
  idSigningTime: '1.2.840.113549.1.9.5',
  idSigningCertificateV2: '1.2.840.113549.1.9.16.2.47',
  idSigningCertificate: '1.2.840.113549.1.9.16.2.12',
  // Names (X.520)
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  localityName: '2.5.4.7',
  commonName: '2.5.4.3',
  // JPKI signing-certificate subjectAltName otherName type-ids (card-spec §4.3)
  jpkiName: '1.2.392.200149.8.5.5.1',
  jpkiNameSubstitutePositions: '1.2.392.200149.8.5.5.2',
  jpkiSex: '1.2.392.200149.8.5.5.3',
  jpkiBirthDate: '1.2.392.200149.8.5.5.4',
  jpkiAddress: '1.2.392.200149.8.5.5.5',
  jpkiAddressSubstitutePositions: '1.2.392.200149.8.5.5.6',
} as const;

/**
 * Default policy OIDs: J-LIS's own (card-spec §4.1, J-LIS certificate profile 3.2), as real JPKI
 * certificates carry them, so software that looks for the JPKI policy finds it. Configurable per
 * hierarchy (`HierarchyConfig.policyOid`); relying parties trust roots, not the policy, so a
 * certificate from a sandbox root is no JPKI certificate whatever policy it names.
 */
export const DEFAULT_POLICY_OIDS: Readonly<Record<Hierarchy, string>> = {
  signing: '1.2.392.200149.8.5.1.1.20',
  authentication: '1.2.392.200149.8.5.1.3.30',
};
