import { createHash, createHmac, hkdfSync } from 'node:crypto';

import { nodeCardSignatureCheck } from '@openmyna/card/node';
import { base64UrlEncode, formatIsoDate } from '@openmyna/core';
import {
  dcqlItemsRequest,
  jpkiSignEntryFor,
  MNC_DOCTYPE,
  parseDcqlQuery,
  sessionTranscriptForRequest,
  type AuthorizationRequest,
  type DcqlCardApplicationQuery,
  type DcqlCredentialQuery,
  type DcqlMdocQuery,
  type DcqlQuery,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { fail, pass, summarize, type CheckResult, type JpkiIdentity, type X509Certificate } from '@openmyna/pki';
import { isUniqueViolation } from '@openmyna/storage';
import {
  decodeJpkiAuthPresentation,
  decodeJpkiSignDigestPresentation,
  decodeKenhojoPresentation,
  loginStatement,
  loginSubject,
  verifyJpkiAuthentication,
  verifyJpkiSignature,
  verifyKenhojo,
  verifyMdocPresentation,
  type JpkiSignature,
  type JpkiSignatureVerification,
  type VerificationRecord,
} from '@openmyna/verifier';

import { isoTime, type VerifierContext } from './context.js';
import { mdocClaimsOf, type DisclosedClaims } from './disclosed-claims.js';
import { VerifierServiceError } from './errors.js';
import { resultOf, type PresentationResult } from './presentation-results.js';
import { authorizationOf, type RelyingParty } from './relying-parties.js';
import type { PresentationServices } from './services.js';

/** One answer being verified: what every credential's checks read, and what they add to. */
interface Verification {
  readonly context: VerifierContext;
  readonly services: PresentationServices;
  readonly party: RelyingParty;
  /** The presentation's id (the replay table names it). */
  readonly id: string;
  readonly request: AuthorizationRequest;
  readonly query: DcqlQuery;
  readonly presentations: Readonly<Record<string, Uint8Array[]>>;
  readonly now: Date;
  readonly checks: CheckResult[];
  readonly records: VerificationRecord[];
  readonly claims: DisclosedClaims;
  /** The JPKI signer, once its signature is verified: the 入力補助 records are bound to it. */
  signer?: JpkiIdentity;
}

/** The order credentials are verified in: the signature before the 入力補助 records bound to it. */
const FORMAT_ORDER = ['mso_mdoc', 'jpki_sign', 'jp_kenhojo', 'jpki_auth'];

/**
 * Verifies every credential of an answer against the request: `mso_mdoc` by the mdoc checks and the
 * RP's registration; `jpki_sign` by the signature over the request's document (chain, key usage,
 * policy, revocation) and `jpki.replay` (each signature accepted once); `jp_kenhojo` by the records'
 * checks and their binding to that signature's certificate; `jpki_auth` by the authentication
 * signature over the request's nonce and client id. The answer must carry exactly the credentials
 * asked for, one presentation each.
 */
export async function verifyPresentations(
  context: VerifierContext,
  services: PresentationServices,
  party: RelyingParty,
  id: string,
  request: AuthorizationRequest,
  presentations: Readonly<Record<string, Uint8Array[]>>,
  now: Date,
): Promise<{ result: PresentationResult; claims: DisclosedClaims | undefined }> {
  const query = parseDcqlQuery(request.dcql_query);
  const asked = query.credentials.map((credential) => credential.id).sort();
  if (
    JSON.stringify(Object.keys(presentations).sort()) !== JSON.stringify(asked) ||
    Object.values(presentations).some((list) => list.length !== 1)
  )
    throw new VerifierServiceError(
      'ERR_PRESENTATION_RESPONSE',
      `vp_token must carry one presentation each of ${asked.join(', ')}`,
    );
  const verification: Verification = {
    ...{ context, services, party, id, request, query, presentations, now },
    ...{ checks: [], records: [], claims: {} },
  };
  const ordered = [...query.credentials].sort(
    (a, b) => FORMAT_ORDER.indexOf(a.format) - FORMAT_ORDER.indexOf(b.format),
  );
  for (const credential of ordered) await verifyCredential(verification, credential);
  const summary = summarize(verification.checks);
  return {
    result: resultOf(summary, verification.records),
    claims: summary.status === 'valid' ? verification.claims : undefined,
  };
}

function verifyCredential(verification: Verification, credential: DcqlCredentialQuery): Promise<void> {
  const bytes = verification.presentations[credential.id]![0]!;
  switch (credential.format) {
    case 'mso_mdoc':
      return verifyMdocCredential(verification, credential, bytes);
    case 'jpki_sign':
      return verifyJpkiSignCredential(verification, credential, bytes);
    case 'jp_kenhojo':
      verifyKenhojoCredential(verification, credential, bytes);
      return Promise.resolve();
    case 'jpki_auth':
      return verifyJpkiAuthCredential(verification, credential, bytes);
    default:
      return assertNeverFormat(credential);
  }
}

function assertNeverFormat(credential: never): never {
  throw new VerifierServiceError(
    'ERR_PRESENTATION_RESPONSE',
    `the request asks for a format this verifier does not verify: ${String((credential as { format: unknown }).format)}`,
  );
}

async function verifyMdocCredential(
  verification: Verification,
  credential: DcqlMdocQuery,
  bytes: Uint8Array,
): Promise<void> {
  const { services, request } = verification;
  const result = await verifyMdocPresentation({
    response: bytes,
    sessionTranscript: await sessionTranscriptForRequest(request, nodeMdocCrypto),
    issuerAnchors: services.mdoc.issuerAnchors,
    time: verification.now,
    crypto: nodeMdocCrypto,
    docType: MNC_DOCTYPE,
    request: dcqlItemsRequest(credential),
    ...(services.mdoc.status ? { status: services.mdoc.status } : {}),
    rp: authorizationOf(verification.party),
  });
  verification.checks.push(...result.checks);
  verification.records.push(result.record);
  Object.assign(verification.claims, mdocClaimsOf(result.documents));
}

async function verifyJpkiSignCredential(
  verification: Verification,
  credential: DcqlCardApplicationQuery,
  bytes: Uint8Array,
): Promise<void> {
  const entry = jpkiSignEntryFor(verification.request, credential.id);
  if (entry.kind === 'digest') return verifyJpkiSignDigestCredential(verification, credential, bytes, entry.bytes);
  const { request, query, presentations } = verification;
  const kenhojoQuery = query.credentials.find((other) => other.format === 'jp_kenhojo');
  const result = await verifyJpkiSignature(
    verification.services.jpki,
    { kind: 'cms', signedData: bytes, detachedContent: entry.bytes },
    {
      // The answer proves it was made for this request, with exactly these 入力補助 records.
      binding: {
        clientId: request.client_id,
        nonce: request.nonce,
        ...(kenhojoQuery ? { kenhojoPresentation: presentations[kenhojoQuery.id]![0]! } : {}),
      },
    },
  );
  // Keyed by the signature value: re-encoding the unsigned parts around it makes no new signature.
  const identity = await acceptSignature(verification, result, bytes);
  if (identity) verification.claims[credential.id] = fourInfoClaims(identity);
}

/**
 * A `jpki_sign_digest` answer: the raw signature over exactly the relying party's bytes, by a signing
 * certificate (path, key usage, policy, revocation), then `jpki.replay`. Its binding to this request is
 * the `jpki_auth` login of the same answer, which the request always carries.
 */
async function verifyJpkiSignDigestCredential(
  verification: Verification,
  credential: DcqlCardApplicationQuery,
  bytes: Uint8Array,
  signed: Uint8Array,
): Promise<void> {
  const presented = decodeJpkiSignDigestPresentation(bytes);
  const signature: JpkiSignature = { kind: 'pkcs1-digest', ...presented, signed };
  const result = await verifyJpkiSignature(verification.services.jpki, signature);
  const identity = await acceptSignature(verification, result, presented.signature, 'repeatable');
  if (!identity) return;
  verification.claims[credential.id] = {
    ...fourInfoClaims(identity),
    signature: base64UrlEncode(presented.signature),
    certificate: base64UrlEncode(presented.certificate),
  };
}

/**
 * Records a signature's checks, then `jpki.replay` once it verified; the signer, when both passed. A
 * signature over a relying party's digest is `repeatable`: PKCS#1 v1.5 is deterministic, so the holder
 * signing the same digest again (a retry, another party) makes the same value, and its freshness is the
 * login of the same answer. It is still recorded, so it can never answer a document request (`jpki.replay`
 * there).
 */
async function acceptSignature(
  verification: Verification,
  result: JpkiSignatureVerification,
  bytes: Uint8Array,
  use: 'once' | 'repeatable' = 'once',
): Promise<JpkiIdentity | undefined> {
  verification.checks.push(...result.checks);
  verification.records.push(result.record);
  if (result.status === 'invalid' || !result.signer) return undefined;
  const value = result.signatureValue ?? bytes;
  if (use === 'once') verification.checks.push(await acceptOnce(verification, value));
  else await recordSignature(verification, value);
  verification.signer = result.signer.identity;
  return result.signer.identity;
}

/** The signer's 4 info as relying parties read them. */
function fourInfoClaims(identity: JpkiIdentity): Record<string, unknown> {
  const info = identity.basicFourInfo;
  return { name: info.name, address: info.address, birth_date: formatIsoDate(info.birthDate), sex: info.sex };
}

function verifyKenhojoCredential(
  verification: Verification,
  credential: DcqlCardApplicationQuery,
  bytes: Uint8Array,
): void {
  const { party, now } = verification;
  const result = verifyKenhojo(decodeKenhojoPresentation(bytes), {
    caKeys: verification.services.kenhojoCaKeys,
    signer: verification.signer,
    requested: credential.meta?.records ?? [],
    rp: { id: party.id, myNumber: party.myNumberPurpose !== 'none' },
    clock: () => now,
    signatureCheck: nodeCardSignatureCheck,
  });
  verification.checks.push(...result.checks);
  verification.records.push(result.record);
  if (result.status !== 'valid') return;
  const info = result.basicFourInfo;
  verification.claims[credential.id] = {
    ...(result.myNumber ? { my_number: result.myNumber } : {}),
    ...(info
      ? { name: info.name, address: info.address, birth_date: formatIsoDate(info.birthDate), sex: info.sex }
      : {}),
  };
}

async function verifyJpkiAuthCredential(
  verification: Verification,
  credential: DcqlCardApplicationQuery,
  bytes: Uint8Array,
): Promise<void> {
  const { request } = verification;
  const presented = decodeJpkiAuthPresentation(bytes);
  const result = await verifyJpkiAuthentication(verification.services.jpki, {
    certificate: presented.certificate,
    signature: presented.signature,
    content: loginStatement({ value: request.nonce, clientId: request.client_id }),
  });
  verification.checks.push(...result.checks);
  verification.records.push(result.record);
  if (result.status === 'valid' && result.certificate)
    verification.claims[credential.id] = {
      subject: loginSubject(request.client_id, result.certificate),
      // Per relying party rather than per request-signing certificate: the same across the yearly renewal
      // of the party's reader certificate (the OpenID Provider's `sub`, docs/oidc.md).
      party_subject: partySubject(verification.services.sealingKey, verification.party.id, result.certificate),
    };
}

/**
 * The relying party's subject for the holder of an authentication certificate: HMAC-SHA-256, under a key
 * derived from the service's sealing key, over the party's id, the certificate's issuer and its serial
 * number. Stable across the party's reader-certificate renewals; without the key, no party can work out
 * another's subject from a certificate (whose issuer and serial its verification records show).
 */
function partySubject(sealingKey: Uint8Array, partyId: string, certificate: X509Certificate): string {
  const key = hkdfSync('sha256', sealingKey, new Uint8Array(0), 'openmyna/party-subject/v1', 32);
  return base64UrlEncode(
    createHmac('sha256', Buffer.from(key))
      .update(`${partyId}\n`)
      .update(certificate.issuer)
      .update(certificate.serialNumber)
      .digest(),
  );
}

/** Records the digest of a signature value, if it is not recorded yet. */
async function recordSignature(verification: Verification, signature: Uint8Array): Promise<void> {
  await verification.context.db
    .insertInto('presented_signatures')
    .values({
      digest: createHash('sha256').update(signature).digest('hex'),
      presentation_id: verification.id,
      at: isoTime(verification.now),
    })
    .onConflict((conflict) => conflict.column('digest').doNothing())
    .execute();
}

/** `jpki.replay`: records the digest of a signature value; one presented before fails. */
async function acceptOnce(verification: Verification, signature: Uint8Array): Promise<CheckResult> {
  try {
    await verification.context.db
      .insertInto('presented_signatures')
      .values({
        digest: createHash('sha256').update(signature).digest('hex'),
        presentation_id: verification.id,
        at: isoTime(verification.now),
      })
      .execute();
    return pass('jpki.replay');
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return fail('jpki.replay', 'this signature was presented before');
  }
}
