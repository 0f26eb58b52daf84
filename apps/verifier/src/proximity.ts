import { OpenMynaError } from '@openmyna/core';
import {
  createDeviceRequest,
  MdocReaderSession,
  MNC_DOCTYPE,
  type ItemsRequest,
  type MessageTransport,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { inTransaction } from '@openmyna/storage';
import { verifyMdocPresentation } from '@openmyna/verifier';

import { appendAudit } from './audit.js';
import { isoTime, randomId, type VerifierContext } from './context.js';
import { mdocClaimsOf, takeClaimsOnce, type DisclosedClaims } from './disclosed-claims.js';
import { VerifierServiceError } from './errors.js';
import { recordFinished } from './finished.js';
import { failedResult, resultOf, statusOf, type PresentationResult } from './presentation-results.js';
import { assertMayRequest, authorizationOf, readerKeyOf, type RelyingParty } from './relying-parties.js';
import { parseStoredResult, type ProximityView } from './result-schemas.js';
import { sealJson } from './sealing.js';
import { SEALED, type PresentationServices, type ProximityServices, type RequestedElement } from './services.js';

export type { ProximityView } from './result-schemas.js';

/** How long the holder has to answer at the counter (consent and PIN) before the session fails. */
export const PROXIMITY_SECONDS = 180;
/** The relay's session ids (128 bits and more, base64url), as the relay accepts them. */
const RELAY_SESSION = /^[A-Za-z0-9_-]{16,64}$/;

/** One session at the counter, as its steps pass it on. */
interface CounterSession {
  readonly context: VerifierContext;
  readonly services: PresentationServices;
  readonly party: RelyingParty;
  readonly id: string;
  readonly reader: MdocReaderSession;
  readonly channel: MessageTransport;
  readonly itemsRequest: ItemsRequest;
}

/**
 * Starts an ISO/IEC 18013-5 session at a relying party's counter (DESIGN.md flow 2): the service is
 * the reader. It reads the phone's engagement (`mdoc:` QR), joins the relay session it names — only
 * this service's own relay — and sends the DeviceRequest for `elements` signed with the relying
 * party's reader key (ReaderAuth; the phone shows the verified name). Elements the relying party is
 * not registered for are refused here (`ERR_RP_NOT_AUTHORIZED`), a My Number above all. The answer is
 * awaited in the background, verified ({@link verifyMdocPresentation}: the 17 mdoc checks against
 * this request, the status list, `rp.authorization`) and kept like a presentation's: the result and
 * record, the values sealed until read once.
 */
export async function startProximitySession(
  context: VerifierContext,
  services: PresentationServices,
  party: RelyingParty,
  input: { readonly engagement: string; readonly elements: readonly RequestedElement[] },
): Promise<ProximityView> {
  const proximity = services.proximity;
  if (!proximity)
    throw new VerifierServiceError('ERR_PROXIMITY_UNAVAILABLE', 'this verifier runs no relay for in-person sessions');
  assertMayRequest(party, input.elements);
  const { reader, relaySession } = await readEngagement(proximity, input.engagement);
  const itemsRequest = itemsRequestFor(input.elements);
  const request = await createDeviceRequest({
    docRequests: [itemsRequest],
    sessionTranscript: reader.transcript,
    reader: await readerKeyOf(context, party.id, services.sealingKey),
  });
  let channel: MessageTransport;
  try {
    channel = await proximity.connect(relaySession);
    await reader.sendRequest(channel, request);
  } catch (error) {
    if (error instanceof OpenMynaError)
      throw new VerifierServiceError('ERR_ENGAGEMENT', `the phone's relay session cannot be joined: ${error.message}`);
    throw error;
  }
  const now = context.clock();
  const session: CounterSession = {
    context,
    services,
    party,
    id: randomId(context, 'P'),
    reader,
    channel,
    itemsRequest,
  };
  const expiresAt = isoTime(new Date(now.getTime() + PROXIMITY_SECONDS * 1000));
  try {
    await recordSession(session, input.elements, now, expiresAt);
  } catch (error) {
    // Nothing is kept of a session that cannot be recorded: the phone's side ends at once.
    await channel.close();
    throw error;
  }
  awaitAnswer(session);
  return { id: session.id, status: 'pending', expiresAt };
}

/** The phone's engagement, refused (`ERR_ENGAGEMENT`) unless it names a session on this verifier's relay. */
async function readEngagement(
  proximity: ProximityServices,
  engagement: string,
): Promise<{ reader: MdocReaderSession; relaySession: string }> {
  let reader: MdocReaderSession;
  try {
    reader = await MdocReaderSession.fromEngagement({ engagement: engagement.trim(), crypto: nodeMdocCrypto });
  } catch (error) {
    if (error instanceof OpenMynaError)
      throw new VerifierServiceError('ERR_ENGAGEMENT', `the engagement cannot be read: ${error.message}`);
    throw error;
  }
  const relay = reader.engagement.relay;
  if (!relay || !proximity.relayUrls.includes(relay.url.replace(/\/+$/, '')))
    throw new VerifierServiceError('ERR_ENGAGEMENT', 'the engagement names no relay of this verifier');
  if (!RELAY_SESSION.test(relay.session))
    throw new VerifierServiceError('ERR_ENGAGEMENT', 'the engagement names a relay session that cannot exist');
  return { reader, relaySession: relay.session };
}

/** The ItemsRequest (ISO/IEC 18013-5 §8.3.2.1.2.1) of the card-face elements asked for. */
function itemsRequestFor(elements: readonly RequestedElement[]): ItemsRequest {
  const nameSpaces = new Map<string, Map<string, boolean>>();
  for (const element of elements) {
    const items = nameSpaces.get(element.nameSpace) ?? new Map<string, boolean>();
    items.set(element.elementIdentifier, element.intentToRetain ?? false);
    nameSpaces.set(element.nameSpace, items);
  }
  return { docType: MNC_DOCTYPE, nameSpaces };
}

async function recordSession(
  session: CounterSession,
  elements: readonly RequestedElement[],
  now: Date,
  expiresAt: string,
): Promise<void> {
  const { context, party, id } = session;
  await context.db
    .insertInto('proximity_sessions')
    .values({
      id,
      rp_id: party.id,
      elements: JSON.stringify(elements.map((element) => `${element.nameSpace}/${element.elementIdentifier}`)),
      status: 'pending',
      created_at: isoTime(now),
      expires_at: expiresAt,
      responded_at: null,
      result: null,
      claims_sealed: null,
      claims_fetched_at: null,
    })
    .execute();
  await appendAudit(context, {
    rpId: party.id,
    action: 'proximity.start',
    subjectId: id,
    result: 'pending',
    details: { elements: elements.map((element) => element.elementIdentifier) },
  });
}

/** In the background: the phone's answer (or none within the time), verified and kept. */
function awaitAnswer(session: CounterSession): void {
  const { channel, services } = session;
  const timer = setTimeout(() => void channel.close(), PROXIMITY_SECONDS * 1000);
  timer.unref?.();
  void (async () => {
    let verified: { result: PresentationResult; claims?: DisclosedClaims };
    try {
      verified = await verifyAnswer(session);
    } finally {
      clearTimeout(timer);
      await session.reader.terminate(channel);
      await channel.close();
    }
    await keepAnswer(session, verified.result, verified.claims);
  })().catch((error: unknown) => services.onBackgroundError?.(error));
}

async function verifyAnswer(
  session: CounterSession,
): Promise<{ result: PresentationResult; claims?: DisclosedClaims }> {
  const { context, services, reader } = session;
  try {
    const response = await reader.receiveResponse(session.channel);
    const verification = await verifyMdocPresentation({
      response,
      sessionTranscript: reader.transcript,
      issuerAnchors: services.mdoc.issuerAnchors,
      time: context.clock(),
      crypto: nodeMdocCrypto,
      docType: MNC_DOCTYPE,
      request: session.itemsRequest,
      ...(services.mdoc.status ? { status: services.mdoc.status } : {}),
      rp: authorizationOf(session.party),
    });
    const result = resultOf(verification, [verification.record]);
    return verification.status === 'invalid' ? { result } : { result, claims: mdocClaimsOf(verification.documents) };
  } catch (error) {
    // The holder declined (the session ended without an answer), the relay closed, or the time ran
    // out: a refusal named `session.response`, never the transport's text.
    const known = error instanceof OpenMynaError;
    return {
      result: failedResult(
        'session.response',
        known && error.code === 'ERR_SESSION_STATE' ? error.message : 'the phone did not answer',
      ),
    };
  }
}

/** Keeps the answer; the result, the webhook event and the audit entry in one transaction. */
async function keepAnswer(
  session: CounterSession,
  result: PresentationResult,
  claims: DisclosedClaims | undefined,
): Promise<void> {
  const { context, services, party, id } = session;
  const queued = await inTransaction(context.db, async (db) => {
    await db
      .updateTable('proximity_sessions')
      .set({
        status: statusOf(result),
        responded_at: isoTime(context.clock()),
        result: JSON.stringify(result),
        claims_sealed: claims ? sealJson(services.sealingKey, SEALED.proximityClaims, claims) : null,
      })
      .where('id', '=', id)
      .execute();
    return recordFinished({ ...context, db }, party, { id, action: 'proximity.verify', result });
  });
  if (queued) services.webhookQueued?.();
}

/**
 * A proximity session as its relying party reads it: pending until the phone answers (failed once the
 * time is out), then the result and record — and, the first time after a valid answer, the values,
 * which the service then deletes.
 */
export async function proximitySessionFor(
  context: VerifierContext,
  services: PresentationServices,
  party: RelyingParty,
  id: string,
): Promise<ProximityView> {
  const row = await context.db.selectFrom('proximity_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.rp_id !== party.id)
    throw new VerifierServiceError('ERR_PRESENTATION_NOT_FOUND', 'no such in-person session');
  const now = context.clock();
  // A session the service lost (a restart) or that nobody answered reads as failed once expired.
  if (row.status === 'pending' && isoTime(now) > row.expires_at)
    return {
      id,
      status: 'failed',
      expiresAt: row.expires_at,
      result: failedResult('session.response', 'the phone did not answer in time'),
    };
  return {
    id,
    status: row.status,
    expiresAt: row.expires_at,
    ...(row.result ? { result: parseStoredResult(row.result) } : {}),
    ...(await takeClaimsOnce(context, services.sealingKey, 'proximity_sessions', SEALED.proximityClaims, row)),
  };
}
