import {
  crlStatus,
  findExtension,
  OID,
  ocspRevocationChecker,
  parseCrl,
  readCrlDistributionPoints,
  type RevocationChecker,
  type RevocationStatus,
  type SignatureBackend,
  type X509Certificate,
  type X509Crl,
} from '@openmyna/pki';
import { bytesToBinaryString } from '@openmyna/core';

/** Where a revocation answer came from. */
export type RevocationSource = 'ocsp' | 'ocsp-cache' | 'crl' | 'none';

/** A revocation checker that also says which source answered each certificate. */
export interface JpkiRevocation {
  readonly check: RevocationChecker;
  /** The source of the last answer for a certificate (by serial, hex), for the verification record. */
  sourceOf(certificate: X509Certificate): RevocationSource;
}

/** Options of {@link jpkiRevocation}. */
export interface JpkiRevocationOptions {
  readonly fetch: typeof fetch;
  readonly clock: () => Date;
  /** How long a definite OCSP answer (good, revoked, on hold) is reused; default 60 s, 0 to never cache. */
  readonly cacheSeconds?: number;
  /** Ask this responder instead of the certificate's AIA (a local mirror, or a contracted endpoint). */
  readonly ocspUrl?: string;
  readonly backend?: SignatureBackend;
  /** Most answers kept (oldest dropped first); default 10,000. */
  readonly maxEntries?: number;
}

/**
 * Revocation for JPKI certificates as a relying party (or the phone, about its own certificates) checks it: OCSP first (POST with a nonce; the
 * answer verified by the pki package), a definite answer cached for `cacheSeconds`; when OCSP cannot
 * say (responder down, doubtful answer), the certificate's CRL partition, fetched from its
 * cRLDistributionPoints URI and kept until its nextUpdate. What neither can establish is `unknown` —
 * never `good`. `revoked` answers are final and kept; `unknown` ones are never cached.
 */
export function jpkiRevocation(options: JpkiRevocationOptions): JpkiRevocation {
  const cacheMs = (options.cacheSeconds ?? 60) * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const answers = new Map<string, { status: RevocationStatus; until: number }>();
  const sources = new Map<string, RevocationSource>();
  const ocsp = ocspRevocationChecker({
    fetch: options.fetch,
    time: options.clock,
    ...(options.ocspUrl ? { url: options.ocspUrl } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
  });
  const fromCrl = crlPartitionStatus(options, maxEntries);
  return {
    async check(certificate, issuer) {
      const key = keyOf(certificate);
      const now = options.clock().getTime();
      const cached = answers.get(key);
      if (cached && (cached.status.status === 'revoked' || now < cached.until)) {
        remember(sources, key, 'ocsp-cache', maxEntries);
        return cached.status;
      }
      const answer = await ocsp(certificate, issuer);
      if (answer.status !== 'unknown') {
        if (cacheMs > 0) remember(answers, key, { status: answer, until: now + cacheMs }, maxEntries);
        remember(sources, key, 'ocsp', maxEntries);
        return answer;
      }
      const fallback = await fromCrl(certificate, issuer);
      remember(sources, key, fallback.status === 'unknown' ? 'none' : 'crl', maxEntries);
      if (fallback.status === 'unknown')
        return { status: 'unknown', reason: `OCSP: ${answer.reason}; CRL: ${fallback.reason}` };
      return fallback;
    },
    sourceOf(certificate) {
      return sources.get(keyOf(certificate)) ?? 'none';
    },
  };
}

/**
 * The certificate's status on its CRL partition, fetched from its cRLDistributionPoints URI and kept
 * until its nextUpdate; `unknown` when there is no URI or the CRL cannot be had.
 */
function crlPartitionStatus(
  options: JpkiRevocationOptions,
  maxEntries: number,
): (certificate: X509Certificate, issuer: X509Certificate) => Promise<RevocationStatus> {
  const crls = new Map<string, { crl: X509Crl; fetchedAt: number }>();
  return async (certificate, issuer) => {
    const extension = findExtension(certificate, OID.cRLDistributionPoints);
    const uri = extension
      ? readCrlDistributionPoints(extension.value)
          .flatMap((point) => point.fullNames)
          .find((name) => name.type === 'uri' && /^https?:\/\//.test(name.value))
      : undefined;
    if (uri?.type !== 'uri')
      return { status: 'unknown', reason: 'no OCSP answer, and the certificate names no CRL URI' };
    const now = options.clock();
    let entry = crls.get(uri.value);
    if (!entry || (entry.crl.nextUpdate && entry.crl.nextUpdate.getTime() <= now.getTime())) {
      try {
        const response = await options.fetch(uri.value, { headers: { accept: 'application/pkix-crl' } });
        if (!response.ok)
          return { status: 'unknown', reason: `no OCSP answer, and the CRL answered HTTP ${response.status}` };
        entry = { crl: parseCrl(new Uint8Array(await response.arrayBuffer())), fetchedAt: now.getTime() };
      } catch {
        return { status: 'unknown', reason: 'no OCSP answer, and the CRL cannot be fetched or read' };
      }
      remember(crls, uri.value, entry, maxEntries);
    }
    return crlStatus({
      certificate,
      issuer,
      candidates: [],
      crls: [entry.crl],
      time: now,
      ...(options.backend ? { backend: options.backend } : {}),
    });
  };
}

// Every byte of issuer and serial, the issuer's length first so that no two pairs share a key.
function keyOf(certificate: X509Certificate): string {
  return `${certificate.issuer.length}/${bytesToBinaryString(certificate.issuer)}${bytesToBinaryString(certificate.serialNumber)}`;
}

/** Sets `key` as the newest entry of `map`, dropping the oldest beyond `maxEntries`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > maxEntries) map.delete(map.keys().next().value as K);
}
