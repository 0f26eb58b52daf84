import type { TlvObject } from '@openmyna/core';

import { equalBytes } from './bytes.js';
import { fail, pass, type CheckResult } from './check-result.js';
import { children, readDer, TAG } from './der-reader.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';
import { findExtension, type X509Certificate } from './x509-certificate.js';
import { emailAddressesOf, isEmptyName, nameWithinSubtree } from './x509-name.js';

/**
 * RFC 5280 §4.2.1.10 name constraints, applied as §6.1.3 (b)/(c) and §6.1.4 (g) require. Rather than
 * computing the intersection of permitted subtrees, every CA's constraints are kept and each name of
 * a later certificate is checked against each of them: a name is permitted by a CA when that CA
 * permits no subtree of the name's form or the name lies in one of them, and excluded when it lies in
 * any excluded subtree. The result is the same as the intersection and union RFC 5280 describes.
 */

/** The GeneralName forms of RFC 5280 §4.2.1.6 (context tag numbers). */
const FORM = {
  otherName: 0,
  rfc822Name: 1,
  dNSName: 2,
  x400Address: 3,
  directoryName: 4,
  ediPartyName: 5,
  uniformResourceIdentifier: 6,
  iPAddress: 7,
  registeredID: 8,
} as const;

/** One name (or subtree base): its form and its value (text for the string forms, DER otherwise). */
export interface ConstrainableName {
  readonly form: number;
  readonly bytes: Uint8Array;
}

/** The subtrees of one CA's nameConstraints extension. */
export interface NameConstraints {
  readonly permitted: readonly ConstrainableName[];
  readonly excluded: readonly ConstrainableName[];
}

/** Reads a GeneralName into its form and value. */
export function readConstrainableName(object: TlvObject): ConstrainableName {
  const form = object.tag & 0x1f;
  if ((object.tag & 0xc0) !== 0x80 || form > FORM.registeredID)
    throw new PkiError('ERR_DER_MALFORMED', 'a GeneralName has an unknown form');
  if (form === FORM.directoryName) {
    const [name, extra] = children(object, object.tag, 'directoryName');
    if (name?.tag !== TAG.SEQUENCE || extra) throw new PkiError('ERR_DER_MALFORMED', 'directoryName is malformed');
    return { form, bytes: name.raw };
  }
  return { form, bytes: object.value };
}

/** nameConstraints (RFC 5280 §4.2.1.10). `minimum` other than 0 and `maximum` are refused, as RFC 5280 requires. */
export function readNameConstraints(value: Uint8Array): NameConstraints {
  const fields = children(readDer(value, 'nameConstraints'), TAG.SEQUENCE, 'nameConstraints');
  const subtrees = (tag: number) => {
    const field = fields.find((candidate) => candidate.tag === tag);
    if (!field) return [];
    const list = children(field, tag, 'GeneralSubtrees');
    if (list.length === 0) throw new PkiError('ERR_DER_MALFORMED', 'GeneralSubtrees is empty');
    return list.map((subtree) => {
      const [base, ...bounds] = children(subtree, TAG.SEQUENCE, 'GeneralSubtree');
      if (!base) throw new PkiError('ERR_DER_MALFORMED', 'a GeneralSubtree has no base');
      // minimum is DEFAULT 0, so DER never encodes it; maximum MUST be absent (RFC 5280 §4.2.1.10).
      if (bounds.length > 0)
        throw new PkiError('ERR_DER_MALFORMED', 'a GeneralSubtree sets minimum or maximum, which RFC 5280 forbids');
      return readConstrainableName(base);
    });
  };
  if (fields.some((field) => field.tag !== 0xa0 && field.tag !== 0xa1) || fields.length === 0)
    throw new PkiError('ERR_DER_MALFORMED', 'nameConstraints holds something other than its two subtree lists');
  return { permitted: subtrees(0xa0), excluded: subtrees(0xa1) };
}

/** The names a certificate is constrained by: its subject (unless empty), its subject email addresses and its subjectAltName. */
export function namesOf(certificate: X509Certificate): ConstrainableName[] {
  const names: ConstrainableName[] = [];
  if (!isEmptyName(certificate.subject)) names.push({ form: FORM.directoryName, bytes: certificate.subject });
  // RFC 5280 §4.2.1.10: rfc822Name constraints also apply to emailAddress attributes of the subject.
  for (const address of emailAddressesOf(certificate.subject)) names.push({ form: FORM.rfc822Name, bytes: address });
  const alternative = findExtension(certificate, OID.subjectAltName);
  if (alternative) {
    const list = children(readDer(alternative.value, 'subjectAltName'), TAG.SEQUENCE, 'subjectAltName');
    if (list.length === 0) throw new PkiError('ERR_DER_MALFORMED', 'subjectAltName is empty');
    names.push(...list.map(readConstrainableName));
  }
  return names;
}

/** The name-constraint state of one path validation (RFC 5280 §6.1.2 (b), (c)). */
export class NameConstraintChecker {
  private readonly constraints: NameConstraints[] = [];

  /** §6.1.3 (b), (c): the certificate's names must be permitted and not excluded. */
  check(certificate: X509Certificate, label: string): CheckResult {
    if (this.constraints.length === 0) return pass(`${label}.name-constraints`);
    let names: ConstrainableName[];
    try {
      names = namesOf(certificate);
    } catch (error) {
      return fail(`${label}.name-constraints`, `the names cannot be read: ${(error as Error).message}`);
    }
    const subtrees = this.constraints.reduce((sum, set) => sum + set.permitted.length + set.excluded.length, 0);
    if (names.length * subtrees > MAX_NAME_COMPARISONS)
      return fail(`${label}.name-constraints`, `more than ${MAX_NAME_COMPARISONS} name comparisons would be needed`);
    for (const name of names) {
      for (const constraints of this.constraints) {
        const problem = violation(name, constraints);
        if (problem) return fail(`${label}.name-constraints`, problem);
      }
    }
    return pass(`${label}.name-constraints`);
  }

  /** §6.1.4 (g): a CA's nameConstraints bind every certificate below it. */
  add(certificate: X509Certificate, label: string): CheckResult | undefined {
    const extension = findExtension(certificate, OID.nameConstraints);
    if (!extension) return undefined;
    try {
      this.constraints.push(readNameConstraints(extension.value));
      return pass(`${label}.name-constraints-extension`);
    } catch (error) {
      return fail(`${label}.name-constraints-extension`, (error as Error).message);
    }
  }
}

/** The most name × subtree comparisons one certificate may need (Go's crypto/x509 allows 2^20). */
const MAX_NAME_COMPARISONS = 1 << 16;

const FORM_NAMES = Object.fromEntries(Object.entries(FORM).map(([name, form]) => [form, name]));

function violation(name: ConstrainableName, constraints: NameConstraints): string | undefined {
  const what = FORM_NAMES[name.form]!;
  const permitted = constraints.permitted.filter((base) => base.form === name.form);
  if (permitted.length > 0 && !permitted.some((base) => within(name, base, 'permitted')))
    return `a ${what} is outside the permitted subtrees`;
  if (constraints.excluded.some((base) => base.form === name.form && within(name, base, 'excluded') !== false))
    return `a ${what} is inside an excluded subtree`;
  return undefined;
}

/**
 * Whether `name` lies in the subtree `base` of the same form. Forms openmyna cannot compare
 * (otherName, x400Address, ediPartyName, registeredID) and malformed names count as inside every
 * subtree of their form, which is outside the permitted ones and inside the excluded ones: a
 * constraint that cannot be evaluated fails the path.
 */
function within(name: ConstrainableName, base: ConstrainableName, list: 'permitted' | 'excluded'): boolean | undefined {
  switch (name.form) {
    case FORM.directoryName:
      return nameWithinSubtree(name.bytes, base.bytes);
    case FORM.rfc822Name:
      return mailboxWithin(ascii(name.bytes), ascii(base.bytes));
    case FORM.dNSName:
      return dnsNameWithin(ascii(name.bytes), ascii(base.bytes), list);
    case FORM.uniformResourceIdentifier:
      return uriWithin(ascii(name.bytes), ascii(base.bytes));
    case FORM.iPAddress:
      return addressWithin(name.bytes, base.bytes);
    default:
      return undefined;
  }
}

/** IA5String text, or undefined when a byte is outside ASCII. */
function ascii(bytes: Uint8Array): string | undefined {
  if (bytes.some((byte) => byte > 0x7e || byte < 0x20)) return undefined;
  return new TextDecoder().decode(bytes);
}

/**
 * A host name in preferred name syntax (RFC 5280 §4.2.1.6, RFC 1034 §3.5: letters, digits and
 * hyphens, dot-separated, no trailing dot, RFC 1035 lengths), lower-cased; undefined otherwise. Names that are not in
 * that syntax (a trailing dot, percent-encoding, a backslash, an empty label) are not compared.
 */
function hostName(text: string): string | undefined {
  // RFC 1035 §2.3.4: labels of 63 octets at most, names of 253.
  if (text.length > 253) return undefined;
  const host = text.toLowerCase();
  return /^[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*$/.test(host) ? host : undefined;
}

/**
 * A dNSName in a certificate: a host, or a wildcard `*.host` (RFC 6125), which lies in a permitted
 * subtree only when every name it can stand for does, and in an excluded subtree when any can.
 */
function dnsNameWithin(
  name: string | undefined,
  base: string | undefined,
  list: 'permitted' | 'excluded',
): boolean | undefined {
  if (name?.startsWith('*.')) {
    const domain = hostName(name.slice(2));
    if (domain === undefined || base === undefined) return undefined;
    const anyLabel = dnsWithin(`x.${domain}`, base);
    if (list === 'permitted' || anyLabel !== false) return anyLabel;
    // Excluded: a subtree below the wildcard's domain meets some name the wildcard stands for.
    const below = base.toLowerCase().replace(/^\./, '');
    return below !== domain && dnsWithin(below, domain) === true;
  }
  return dnsWithin(name, base);
}

/**
 * rfc822Name subtrees: a whole mailbox matches exactly (host case-insensitively); a host matches
 * mailboxes on that host; `.domain` matches mailboxes on any host below the domain.
 */
function mailboxWithin(mailbox: string | undefined, base: string | undefined): boolean | undefined {
  if (mailbox === undefined || base === undefined) return undefined;
  const at = mailbox.lastIndexOf('@');
  if (at <= 0 || at === mailbox.length - 1) return undefined;
  const host = hostName(mailbox.slice(at + 1));
  if (host === undefined) return undefined;
  if (base.includes('@')) {
    const baseAt = base.lastIndexOf('@');
    return mailbox.slice(0, at) === base.slice(0, baseAt) && host === base.slice(baseAt + 1).toLowerCase();
  }
  return hostWithin(host, base.toLowerCase());
}

/** dNSName subtrees: the name itself and every name below it, label by label (`.domain`: below only). */
function dnsWithin(name: string | undefined, base: string | undefined): boolean | undefined {
  if (name === undefined || base === undefined) return undefined;
  const host = hostName(name);
  if (host === undefined) return undefined;
  const subtree = base.toLowerCase();
  if (subtree === '') return true;
  if (subtree.startsWith('.')) return host.endsWith(subtree);
  return host === subtree || host.endsWith(`.${subtree}`);
}

/** URI subtrees constrain the host: `host` exactly, `.domain` any host below it. A URI with no host is outside. */
function uriWithin(uri: string | undefined, base: string | undefined): boolean | undefined {
  if (uri === undefined || base === undefined) return undefined;
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(uri)?.[1];
  // A backslash is a path separator to WHATWG URL parsers: what follows it is not this host.
  if (authority === undefined || uri.includes('\\')) return undefined;
  // IPv6 literals and hosts not in preferred name syntax (percent-encoded, a bad port) are not compared.
  const host = hostName(authority.replace(/^.*@/, '').replace(/:\d*$/, ''));
  if (host === undefined) return undefined;
  return hostWithin(host, base.toLowerCase());
}

function hostWithin(host: string, base: string): boolean {
  return base.startsWith('.') ? host.endsWith(base) && host.length > base.length : host === base;
}

/** iPAddress subtrees: address and mask of the same family (RFC 5280 §4.2.1.10). */
function addressWithin(address: Uint8Array, subtree: Uint8Array): boolean | undefined {
  if ((address.length !== 4 && address.length !== 16) || subtree.length !== address.length * 2) return undefined;
  const network = subtree.subarray(0, address.length);
  const mask = subtree.subarray(address.length);
  const masked = (bytes: Uint8Array) => bytes.map((byte, index) => byte & mask[index]!);
  return equalBytes(masked(address), masked(network));
}
