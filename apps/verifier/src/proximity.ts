import { OpenMynaError } from '@openmyna/core';
import { createDeviceRequest, MdocReaderSession, MNC_DOCTYPE, type MessageTransport } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { verifyMdocPresentation, type VerificationRecord } from '@openmyna/verifier';

import { appendAudit } from './audit.js';
import { isoTime, randomId, type VerifierContext } from './context.js';
import { VerifierServiceError } from './errors.js';
import {
  failedResult,
  mdocClaimsOf,
  resultOf,
  statusOf,
  takeClaimsOnce,
  type PresentationResult,
  type PresentationServices,
  type RequestedElement,
} from './presentations.js';
import { assertMayRequest, authorizationOf, readerKeyOf, type RelyingParty } from './relying-parties.js';
import { sealJson } from './sealing.js';
import type { PresentationStatus } from './storage/schema.js';

/** How long the holder has to answer at the counter (consent and PIN) before the session fails. */
export const PROXIMITY_SECONDS = 180;
const CLAIMS = 'proximity-claims';
/** The relay's session ids (128 bits and more, base64url), as the relay accepts them. */
const RELAY_SESSION = /^[A-Za-z0-9_-]{16,64}$/;

/** How the service reaches the holder's phone in person: through its own relay (docs/mdoc.md). */
export interface ProximityServices {
  /**
   * The relay URLs an engagement may name (`ws://…/relay`, and `wss://…/relay` where a proxy serves
   * the same relay): an engagement naming any other relay is refused, so a page cannot make the
   * service connect to an address of its choosing.
   */
  readonly relayUrls: readonly string[];
  /** Joins the relay session the phone opened. */
  readonly connect: (session: string) => Promise<MessageTransport>;
}

/** A proximity session as its relying party reads it (the shape of a presentation). */
export interface ProximityView {
  readonly id: string;
  readonly status: PresentationStatus;
  readonly expiresAt: string;
  readonly result?: PresentationResult;
  readonly claims?: Record<string, Record<string, unknown>>;
  readonly claimsFetchedAt?: string;
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
  let reader: MdocReaderSession;
  try {
    reader = await MdocReaderSession.fromEngagement({ engagement: input.engagement.trim(), crypto: nodeMdocCrypto });
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
  const nameSpaces = new Map<string, Map<string, boolean>>();
  for (const element of input.elements) {
    const items = nameSpaces.get(element.nameSpace) ?? new Map<string, boolean>();
    items.set(element.elementIdentifier, element.intentToRetain ?? false);
    nameSpaces.set(element.nameSpace, items);
  }
  const itemsRequest = { docType: MNC_DOCTYPE, nameSpaces };
  const request = await createDeviceRequest({
    docRequests: [itemsRequest],
    sessionTranscript: reader.transcript,
    reader: await readerKeyOf(context, party.id, services.sealingKey),
  });
  let channel: MessageTransport;
  try {
    channel = await proximity.connect(relay.session);
    await reader.sendRequest(channel, request);
  } catch (error) {
    if (error instanceof OpenMynaError)
      throw new VerifierServiceError('ERR_ENGAGEMENT', `the phone's relay session cannot be joined: ${error.message}`);
    throw error;
  }
  const now = context.clock();
  const id = randomId(context, 'P');
  const expiresAt = isoTime(new Date(now.getTime() + PROXIMITY_SECONDS * 1000));
  try {
    await context.db
      .insertInto('proximity_sessions')
      .values({
        id,
        rp_id: party.id,
        elements: JSON.stringify(input.elements.map((element) => `${element.nameSpace}/${element.elementIdentifier}`)),
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
      details: { elements: input.elements.map((element) => element.elementIdentifier) },
    });
  } catch (error) {
    // Nothing is kept of a session that cannot be recorded: the phone's side ends at once.
    await channel.close();
    throw error;
  }
  const timer = setTimeout(() => void channel.close(), PROXIMITY_SECONDS * 1000);
  timer.unref?.();
  void (async () => {
    let result: PresentationResult;
    let claims: Record<string, Record<string, unknown>> | undefined;
    try {
      const response = await reader.receiveResponse(channel);
      const at = context.clock();
      const verification = await verifyMdocPresentation({
        response,
        sessionTranscript: reader.transcript,
        issuerAnchors: services.mdoc.issuerAnchors,
        time: at,
        crypto: nodeMdocCrypto,
        docType: MNC_DOCTYPE,
        request: itemsRequest,
        ...(services.mdoc.status ? { status: services.mdoc.status } : {}),
        rp: authorizationOf(party),
      });
      result = resultOf(verification, [verification.record]);
      if (verification.status !== 'invalid') claims = mdocClaimsOf(verification.documents);
    } catch (error) {
      // The holder declined (the session ended without an answer), the relay closed, or the time ran
      // out: a refusal named `session.response`, never the transport's text.
      const known = error instanceof OpenMynaError;
      result = failedResult(
        'session.response',
        known && error.code === 'ERR_SESSION_STATE' ? error.message : 'the phone did not answer',
      );
    } finally {
      clearTimeout(timer);
      await reader.terminate(channel);
      await channel.close();
    }
    await context.db
      .updateTable('proximity_sessions')
      .set({
        status: statusOf(result),
        responded_at: isoTime(context.clock()),
        result: JSON.stringify(result),
        claims_sealed: claims ? sealJson(services.sealingKey, CLAIMS, claims) : null,
      })
      .where('id', '=', id)
      .execute();
    await appendAudit(context, {
      rpId: party.id,
      action: 'proximity.verify',
      subjectId: id,
      result: result.status,
      details: {
        ...(result.decidedBy ? { decidedBy: result.decidedBy.check } : {}),
        disclosed: result.records.flatMap((record: VerificationRecord) => record.disclosed ?? []),
      },
    });
    services.notify?.(party, { id, status: result.status });
  })().catch((error: unknown) => services.onBackgroundError?.(error));
  return { id, status: 'pending', expiresAt };
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
    ...(row.result ? { result: JSON.parse(row.result) as PresentationResult } : {}),
    ...(await takeClaimsOnce(context, services, 'proximity_sessions', CLAIMS, row)),
  };
}
