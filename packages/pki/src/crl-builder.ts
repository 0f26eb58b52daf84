import { encodeTlv } from '@openmyna/core';
import { hexToBytes } from '@noble/hashes/utils.js';

import { equalBytes } from './bytes.js';
import { assembleSigned, type CertificateAuthority } from './certificate-authority.js';
import { readDer } from './der-reader.js';
import { encodeDer } from './asn1-schema.js';
import { assertLintsPass, type LintResult } from './lint.js';
import { derExtension, derInteger, derTime } from './der-writer.js';
import { OID } from './oids.js';
import { crlPartitionUrl, signatureAlgorithm } from './profiles.js';
import { readAuthorityKeyIdentifier } from './x509-certificate.js';
import { CRL_REASON, readTbsCertList, type CrlReasonName, type TbsCertListValue } from './x509-crl.js';

/** One revoked (or suspended) certificate as the registry records it. */
export interface RevocationRecord {
  /** Serial number, lower-case hex as issued. */
  readonly serialNumber: string;
  readonly revocationDate: Date;
  readonly reason: CrlReasonName;
}

/** Inputs of {@link prepareCrl}. */
export interface CrlInput {
  readonly ca: CertificateAuthority;
  /** The municipality partition this CRL covers; its issuingDistributionPoint names it. */
  readonly municipalityCode: string;
  readonly entries: readonly RevocationRecord[];
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Monotonically increasing per partition (RFC 5280 §5.2.3). */
  readonly crlNumber: bigint;
}

/** A TBSCertList ready for the CA key, with what its lints check against. */
export interface PreparedCrl {
  readonly tbsCertList: Uint8Array;
  readonly input: Omit<CrlInput, 'ca' | 'entries'> & { readonly entryCount: number; readonly partitionUrl: string };
}

/** Builds a v2 CRL partition (RFC 5280 §5.1) without signing it; entries are written as given. */
export function prepareCrl(input: CrlInput): PreparedCrl {
  const partitionUrl = crlPartitionUrl(input.ca.config, input.municipalityCode);
  // Entry extensions repeat: encode each reasonCode once.
  const reasonExtensions = new Map<CrlReasonName, Uint8Array>();
  const reasonExtension = (reason: CrlReasonName) => {
    let encoded = reasonExtensions.get(reason);
    if (!encoded) {
      encoded = encodeTlv(0x30, [
        derExtension(OID.cRLReason, false, encodeTlv(0x0a, Uint8Array.of(CRL_REASON[reason]))),
      ]);
      reasonExtensions.set(reason, encoded);
    }
    return encoded;
  };
  const entries = input.entries.map((entry) => {
    const fields = [derInteger(hexToBytes(entry.serialNumber)), derTime(entry.revocationDate)];
    // RFC 5280 §5.3.1: the reasonCode "unspecified" SHOULD be absent.
    if (entry.reason !== 'unspecified') fields.push(reasonExtension(entry.reason));
    return encodeTlv(0x30, fields);
  });
  const extensions = encodeTlv(0x30, [
    derExtension(OID.authorityKeyIdentifier, false, encodeTlv(0x30, [encodeTlv(0x80, input.ca.keyIdentifier)])),
    derExtension(OID.cRLNumber, false, derInteger(input.crlNumber)),
    derExtension(
      OID.issuingDistributionPoint,
      true,
      encodeTlv(0x30, [
        encodeTlv(0xa0, [encodeTlv(0xa0, [encodeTlv(0x86, new TextEncoder().encode(partitionUrl))])]),
        // Partitions hold end-entity certificates only.
        encodeTlv(0x81, Uint8Array.of(0xff)),
      ]),
    ),
  ]);
  const fields = [
    derInteger(Uint8Array.of(1)),
    encodeDer(signatureAlgorithm()),
    input.ca.name,
    derTime(input.thisUpdate),
    derTime(input.nextUpdate),
  ];
  if (entries.length > 0) fields.push(encodeTlv(0x30, entries));
  fields.push(encodeTlv(0xa0, [extensions]));
  const { ca: _ca, entries: _entries, ...rest } = input;
  return { tbsCertList: encodeTlv(0x30, fields), input: { ...rest, entryCount: entries.length, partitionUrl } };
}

type CrlLint = (tbs: TbsCertListValue, prepared: PreparedCrl, ca: CertificateAuthority) => string | undefined;

/** CRL lints, in order (RFC 5280 §5). */
const CRL_LINTS: readonly (readonly [string, CrlLint])[] = [
  ['crl.version-v2', (tbs) => (tbs.version === 2 ? undefined : 'version is not v2')],
  [
    'crl.signature-algorithm',
    (tbs) =>
      tbs.signature.oid === OID.sha256WithRSAEncryption ? undefined : 'signature is not sha256WithRSAEncryption',
  ],
  ['crl.issuer-name', (tbs, _p, ca) => (equalBytes(tbs.issuer, ca.name) ? undefined : 'issuer is not the CA')],
  [
    'crl.update-order',
    (tbs) => (tbs.nextUpdate && tbs.thisUpdate < tbs.nextUpdate ? undefined : 'nextUpdate must follow thisUpdate'),
  ],
  [
    'crl.number',
    (tbs, prepared) =>
      tbs.crlNumber === prepared.input.crlNumber && tbs.crlNumber >= 0n ? undefined : 'cRLNumber is missing or wrong',
  ],
  [
    'crl.authority-key-identifier',
    (tbs, _p, ca) => {
      const aki = tbs.extensions.find((extension) => extension.oid === OID.authorityKeyIdentifier);
      const keyId = aki ? readAuthorityKeyIdentifier(aki.value) : undefined;
      return keyId && equalBytes(keyId, ca.keyIdentifier)
        ? undefined
        : 'authorityKeyIdentifier does not name the CA key';
    },
  ],
  [
    'crl.issuing-distribution-point',
    (tbs, prepared) => {
      const idp = tbs.issuingDistributionPoint;
      const critical = tbs.extensions.find((extension) => extension.oid === OID.issuingDistributionPoint)?.critical;
      const uri = idp?.fullNames[0];
      return critical && uri?.type === 'uri' && uri.value === prepared.input.partitionUrl && idp?.onlyContainsUserCerts
        ? undefined
        : 'issuingDistributionPoint must be critical and name this partition';
    },
  ],
  [
    'crl.extensions-unique',
    (tbs) =>
      new Set(tbs.extensions.map((e) => e.oid)).size === tbs.extensions.length
        ? undefined
        : 'an extension appears twice',
  ],
  [
    'crl.entries-unique',
    (tbs, prepared) =>
      tbs.revoked.size === tbs.entryCount && tbs.entryCount === prepared.input.entryCount
        ? undefined
        : 'a serial number is listed twice',
  ],
  [
    'crl.reason-codes',
    (tbs) => {
      for (const entry of tbs.revoked.values()) {
        if (entry.reason === CRL_REASON.unspecified) return 'reasonCode unspecified must be omitted';
        // RFC 5280 §5.3.1: removeFromCRL only appears in delta CRLs.
        if (entry.reason === CRL_REASON.removeFromCRL) return 'removeFromCRL in a complete CRL';
        if (entry.reason !== undefined && !Object.values(CRL_REASON).includes(entry.reason as never))
          return 'unknown reasonCode';
      }
      return undefined;
    },
  ],
];

/** Runs the CRL lints over a prepared TBSCertList. */
export function lintCrl(prepared: PreparedCrl, ca: CertificateAuthority): LintResult[] {
  const tbs = readTbsCertList(readDer(prepared.tbsCertList, 'TBSCertList'));
  return CRL_LINTS.map(([lint, check]) => {
    const reason = check(tbs, prepared, ca);
    return reason === undefined ? { lint, status: 'pass' } : { lint, status: 'fail', reason };
  });
}

/**
 * Lints and signs a prepared CRL with the CA key; a lint failure signs nothing.
 *
 * @example
 * ```ts
 * const crl = await signCrl(prepareCrl({ ca, municipalityCode: '13221', entries, thisUpdate, nextUpdate, crlNumber: 7n }), ca);
 * ```
 */
export async function signCrl(prepared: PreparedCrl, ca: CertificateAuthority): Promise<Uint8Array> {
  assertLintsPass(lintCrl(prepared, ca), 'the CRL');
  return assembleSigned(prepared.tbsCertList, await ca.signWithCaKey(prepared.tbsCertList));
}
