import { parseCertificate, validatePath, type TrustAnchor, type X509Certificate } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { bytesToHex } from '@noble/hashes/utils.js';

import type { IssuerContext } from './context.js';
import { IssuerError } from './errors.js';

/** Roots card certificates must chain to: our hierarchy, and J-LIS's where real cards are accepted. */
export interface CardAnchors {
  readonly signing: readonly TrustAnchor[];
  readonly authentication: readonly TrustAnchor[];
}

/**
 * Checks a card's JPKI certificate as the holder's proof: it chains to `cardAnchors` at `now`, this
 * issuer recorded it (byte for byte) against a card, and it is not revoked or suspended. Returns the
 * parsed certificate and its card.
 */
export async function checkCardCertificate(
  context: IssuerContext,
  cardAnchors: CardAnchors,
  hierarchy: 'signing' | 'authentication',
  der: Uint8Array,
  now: Date,
): Promise<{ certificate: X509Certificate; cardId: string }> {
  let certificate: X509Certificate;
  try {
    certificate = parseCertificate(der);
  } catch (error) {
    throw new IssuerError('ERR_CARD_CERTIFICATE_UNTRUSTED', `the card ${hierarchy} certificate is not a certificate`, {
      cause: error,
    });
  }
  const path = await validatePath({
    certificate,
    trustAnchors: cardAnchors[hierarchy],
    time: now,
    checkRevocation: false,
    backend: nodeCryptoBackend,
  });
  if (path.status !== 'valid') {
    throw new IssuerError(
      'ERR_CARD_CERTIFICATE_UNTRUSTED',
      `the card ${hierarchy} certificate does not chain to a trusted root (${path.decidedBy?.check ?? 'path'})`,
    );
  }
  const serial = bytesToHex(certificate.serialNumber);
  const row = await context.db
    .selectFrom('certificates')
    .select(['status', 'card_id', 'der'])
    .where('serial', '=', serial)
    .where('hierarchy', '=', hierarchy)
    .executeTakeFirst();
  // The person is found by the card certificate, never by matching names: a certificate we have no
  // record of (another CA's, or J-LIS's without a registry mapping) identifies no one here.
  if (!row?.card_id || !row.der || !Buffer.from(row.der).equals(Buffer.from(der))) {
    throw new IssuerError(
      'ERR_CARD_CERTIFICATE_UNKNOWN',
      `the card ${hierarchy} certificate is not on this issuer's record`,
    );
  }
  if (row.status !== 'issued')
    throw new IssuerError('ERR_CARD_CERTIFICATE_REVOKED', `the card ${hierarchy} certificate is ${row.status}`);
  return { certificate, cardId: row.card_id };
}
