import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

import { encodeTlv } from '@openmyna/core';
import { encodeObjectIdentifier } from '@openmyna/pki';

/*
 * A small DER writer for hostile certificates and CRLs: any extension, any name, any order, duplicate
 * extensions, missing fields and forged (zero) signatures — what a well-behaved CA library refuses to
 * make. Signatures are sha256WithRSAEncryption with throwaway RSA-1024 keys.
 */

export const tlv = (tag: number, ...parts: Uint8Array[]) => encodeTlv(tag, parts);
export const sequence = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
export const oid = (dotted: string) => encodeObjectIdentifier(dotted);
export const text = (tag: number, value: string | Uint8Array) =>
  encodeTlv(tag, typeof value === 'string' ? new TextEncoder().encode(value) : value);
export const integer = (value: number | bigint) => {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex[0]!, 16) >= 8) hex = `00${hex}`;
  return encodeTlv(0x02, Uint8Array.from(Buffer.from(hex, 'hex')));
};
const boolean = (value: boolean) => encodeTlv(0x01, Uint8Array.of(value ? 0xff : 0));
const bitString = (bytes: Uint8Array) => encodeTlv(0x03, Uint8Array.from([0, ...bytes]));
const time = (date: Date) => text(0x18, `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`);

/** A name from RDNs, each a list of [attribute OID, string tag, value]. */
export type Ava = readonly [string, number, string | Uint8Array];
export const name = (...rdns: (readonly Ava[])[]) =>
  sequence(...rdns.map((rdn) => tlv(0x31, ...rdn.map(([type, tag, value]) => sequence(oid(type), text(tag, value))))));
export const commonName = (value: string) => name([['2.5.4.3', 0x0c, value]]);

export const extension = (id: string, critical: boolean, value: Uint8Array) =>
  critical ? sequence(oid(id), boolean(true), encodeTlv(0x04, value)) : sequence(oid(id), encodeTlv(0x04, value));
export const basicConstraints = (ca: boolean) =>
  extension('2.5.29.19', true, ca ? sequence(boolean(true)) : sequence());
/** keyUsage keyCertSign + cRLSign. */
export const caKeyUsage = () => extension('2.5.29.15', true, encodeTlv(0x03, Uint8Array.of(1, 0x06)));
export const crlSignOnly = () => extension('2.5.29.15', true, encodeTlv(0x03, Uint8Array.of(1, 0x02)));
export const certificatePolicies = (...ids: string[]) =>
  extension('2.5.29.32', false, sequence(...ids.map((id) => sequence(oid(id)))));
export const policyMappings = (pairs: readonly (readonly [string, string])[]) =>
  extension('2.5.29.33', true, sequence(...pairs.map(([from, to]) => sequence(oid(from), oid(to)))));
export const subjectAltName = (...names: Uint8Array[]) => extension('2.5.29.17', false, sequence(...names));
export const dnsName = (value: string) => text(0x82, value);
export const uri = (value: string) => text(0x86, value);
export const directoryName = (value: Uint8Array) => tlv(0xa4, value);
export const nameConstraints = (permitted: Uint8Array[], excluded: Uint8Array[] = []) =>
  extension(
    '2.5.29.30',
    true,
    sequence(
      ...(permitted.length ? [tlv(0xa0, ...permitted.map((base) => sequence(base)))] : []),
      ...(excluded.length ? [tlv(0xa1, ...excluded.map((base) => sequence(base)))] : []),
    ),
  );
export const crlNumber = (value: number) => extension('2.5.29.20', false, integer(value));

const SHA256_RSA = sequence(oid('1.2.840.113549.1.1.11'), encodeTlv(0x05, new Uint8Array()));
const SHA1_RSA = sequence(oid('1.2.840.113549.1.1.5'), encodeTlv(0x05, new Uint8Array()));

export interface ForgeKey {
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
}

const keys: ForgeKey[] = [];
/** The `index`th throwaway RSA-1024 key of this process. */
export function forgeKey(index: number): ForgeKey {
  while (keys.length <= index) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    keys.push({ privateKey, spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })) });
  }
  return keys[index]!;
}

export const FORGE_NOW = new Date('2030-01-01T00:00:00Z');
const NOT_BEFORE = new Date('2029-01-01T00:00:00Z');
const NOT_AFTER = new Date('2031-01-01T00:00:00Z');

/** A certificate, signed by `issuerKey` unless `forged` (then a zero signature). */
export function forgeCertificate(options: {
  serial?: number;
  issuer: Uint8Array;
  subject: Uint8Array;
  subjectKey: ForgeKey;
  issuerKey: ForgeKey;
  extensions?: Uint8Array[];
  forged?: boolean;
  /** sha1WithRSAEncryption instead of sha256WithRSAEncryption. */
  sha1?: boolean;
}): Uint8Array {
  const extensions = options.extensions ?? [];
  const algorithm = options.sha1 ? SHA1_RSA : SHA256_RSA;
  const tbs = sequence(
    tlv(0xa0, integer(2)),
    integer(options.serial ?? 1 + Math.floor(Math.random() * 1e9)),
    algorithm,
    options.issuer,
    sequence(time(NOT_BEFORE), time(NOT_AFTER)),
    options.subject,
    options.subjectKey.spki,
    ...(extensions.length ? [tlv(0xa3, sequence(...extensions))] : []),
  );
  const signature = options.forged
    ? new Uint8Array(128)
    : new Uint8Array(sign(options.sha1 ? 'sha1' : 'sha256', tbs, options.issuerKey.privateKey));
  return sequence(tbs, algorithm, bitString(signature));
}

/** A self-signed root CA named CN=`commonName` (basicConstraints cA, keyCertSign + cRLSign). */
export const forgeRoot = (commonNameValue: string, key: ForgeKey) =>
  forgeCertificate({
    issuer: commonName(commonNameValue),
    subject: commonName(commonNameValue),
    subjectKey: key,
    issuerKey: key,
    extensions: [basicConstraints(true), caKeyUsage()],
  });

/** A v2 CRL; `nextUpdate: null` leaves it out. */
export function forgeCrl(options: {
  issuer: Uint8Array;
  key: ForgeKey;
  entries?: { serial: number; reason?: number }[];
  extensions?: Uint8Array[];
  thisUpdate?: Date;
  nextUpdate?: Date | null;
}): Uint8Array {
  const entries = (options.entries ?? []).map((entry) =>
    sequence(
      integer(entry.serial),
      time(NOT_BEFORE),
      ...(entry.reason === undefined
        ? []
        : [sequence(extension('2.5.29.21', false, encodeTlv(0x0a, Uint8Array.of(entry.reason))))]),
    ),
  );
  const tbs = sequence(
    integer(1),
    SHA256_RSA,
    options.issuer,
    time(options.thisUpdate ?? NOT_BEFORE),
    ...(options.nextUpdate === null ? [] : [time(options.nextUpdate ?? NOT_AFTER)]),
    ...(entries.length ? [sequence(...entries)] : []),
    ...(options.extensions?.length ? [tlv(0xa0, sequence(...options.extensions))] : []),
  );
  return sequence(tbs, SHA256_RSA, bitString(new Uint8Array(sign('sha256', tbs, options.key.privateKey))));
}

/** SHA-1 of bytes, for key identifiers. */
export const sha1 = (bytes: Uint8Array) => new Uint8Array(createHash('sha1').update(bytes).digest());
