import {
  HOLDER_PROOF_ACTIONS,
  lifecycleStatement,
  PHONE_RESETTABLE_PINS,
  PIN_RESET_AUTHORIZATION_TYPE,
  pinResetStatement,
  type HolderAction,
  type HolderProofKind,
} from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';
import { parseCertificate, verifyPkcs1Signature } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { inTransaction } from '@openmyna/storage';
import { ecPublicJwk, type EcPrivateKey } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import { appendAudit } from './audit.js';
import { checkCardCertificate, type CardAnchors } from './card-certificates.js';
import { isoTime, newId, type IssuerContext } from './context.js';
import { base64Field, IssuerError } from './errors.js';
import { signEs256Jwt } from './key-custody/sign-jwt.js';
import { changePhone } from './phones.js';
import type { HolderChallengePurpose, PhoneStatus } from './storage/schema.js';

/** How long a holder challenge may be answered. */
export const HOLDER_CHALLENGE_SECONDS = 300;
/** How long a PIN-reset authorization may be used by the phone. */
export const PIN_RESET_AUTHORIZATION_SECONDS = 300;

/** The key the issuer signs PIN-reset authorizations with; phones pin its public half at provisioning. */
export interface PinResetAuthority {
  /** The `iss` of its authorizations (the issuer's public URL). */
  readonly issuer: string;
  /** Signs the authorizations (ES256): a custody key, which may live in a token. */
  readonly key: Pick<EcPrivateKey, 'signEs256'>;
  readonly publicJwk: JsonWebKey;
}

/** Makes a {@link PinResetAuthority} from the custody's `pin-reset` key. */
export function pinResetAuthorityFromKey(key: EcPrivateKey, issuer: string): PinResetAuthority {
  return { issuer, key, publicJwk: ecPublicJwk(key.publicKey) };
}

/** Makes a {@link PinResetAuthority} from a private P-256 JWK (the private key stays non-extractable). */
export async function pinResetAuthorityFromJwk(privateJwk: JsonWebKey, issuer: string): Promise<PinResetAuthority> {
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || !privateJwk.x || !privateJwk.y || !privateJwk.d)
    throw new TypeError('the PIN-reset authority key is a private P-256 JWK');
  const key = await nodeMdocCrypto.importEcPrivateKey(privateJwk);
  return { issuer, key, publicJwk: { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y } };
}

/** A proof by the holder's key over the {@link lifecycleStatement}. All binary values base64. */
export type HolderProof =
  | { readonly kind: 'phone-authentication'; readonly signature: string }
  | { readonly kind: 'card-authentication'; readonly certificate: string; readonly signature: string };

/** A holder's request to suspend, resume or revoke their phone. */
export interface HolderLifecycleRequest {
  readonly challengeId: string;
  readonly action: HolderAction;
  readonly proof: HolderProof;
}

/** A holder's request to reset blocked (or forgotten) PINs of their phone. */
export interface PinResetRequest {
  readonly challengeId: string;
  /** References from PHONE_RESETTABLE_PINS. */
  readonly pins: readonly string[];
  /** The phone's own single-use nonce (base64url, 16–128 characters), repeated in the authorization. */
  readonly phoneNonce: string;
  /** The card's JPKI signing certificate. */
  readonly cardSigningCertificate: string;
  /** The card's signing key over the {@link pinResetStatement}. */
  readonly signature: string;
}

/**
 * Opens a single-use challenge for a holder's request about `phoneId` (`lifecycle`, `pin-reset` or
 * `mdoc-refill`), valid five minutes. A revoked phone has nothing left to ask for.
 */
export async function openHolderChallenge(
  context: IssuerContext,
  phoneId: string,
  purpose: HolderChallengePurpose,
): Promise<{ challengeId: string; nonce: string; expiresAt: string }> {
  const phone = await phoneOf(context, phoneId);
  if (phone.status === 'revoked') throw new IssuerError('ERR_PHONE_STATE', 'the phone is revoked');
  const now = context.clock();
  const challenge = {
    id: newId(context, 'H'),
    phone_id: phoneId,
    purpose,
    nonce: base64UrlEncode(context.randomBytes(32)),
    created_at: isoTime(now),
    expires_at: isoTime(new Date(now.getTime() + HOLDER_CHALLENGE_SECONDS * 1000)),
    used_at: null,
  };
  await context.db.insertInto('holder_challenges').values(challenge).execute();
  return { challengeId: challenge.id, nonce: challenge.nonce, expiresAt: challenge.expires_at };
}

/**
 * A holder suspends, resumes or revokes their phone (DESIGN.md flow 7), proving it with the phone's
 * JPKI authentication key (suspend, revoke) or the card's (any action, and the way for a lost phone).
 * Checks, in order: the proof may ask for the action; the challenge is this phone's, unexpired and
 * unused (it is consumed now); the proving certificate is on record, valid and the phone owner's; the
 * signature over the {@link lifecycleStatement}. Then changes the phone with its certificates and mdoc.
 */
export async function holderChangesPhone(
  context: IssuerContext,
  cardAnchors: CardAnchors,
  phoneId: string,
  request: HolderLifecycleRequest,
): Promise<{ status: PhoneStatus; serials: string[] }> {
  const kind = request.proof?.kind as HolderProofKind | undefined;
  if (!kind || !(kind in HOLDER_PROOF_ACTIONS))
    throw new IssuerError('ERR_HOLDER_REQUEST_FORMAT', 'the proof names no known kind of key');
  if (!['suspend', 'resume', 'revoke'].includes(request.action))
    throw new IssuerError('ERR_HOLDER_REQUEST_FORMAT', 'the action is not suspend, resume or revoke');
  if (!HOLDER_PROOF_ACTIONS[kind].includes(request.action))
    throw new IssuerError(
      'ERR_HOLDER_PROOF_NOT_ENOUGH',
      `the ${kind} key cannot ${request.action} a phone; use the card's authentication key`,
    );
  const signature = base64Field(request.proof.signature, 'proof.signature', 'ERR_HOLDER_REQUEST_FORMAT');
  const nonce = await claimChallenge(context, request.challengeId, phoneId, 'lifecycle');
  const phone = await phoneOf(context, phoneId);
  const statement = lifecycleStatement({ phoneId, action: request.action, nonce });
  let subjectPublicKeyInfo: Uint8Array;
  if (request.proof.kind === 'phone-authentication') {
    // The phone's own authentication certificate; a suspended one still proves the phone for revoking.
    const usable = request.action === 'revoke' ? (['issued', 'suspended'] as const) : (['issued'] as const);
    const row = await context.db
      .selectFrom('certificates')
      .select('der')
      .where('phone_id', '=', phoneId)
      .where('hierarchy', '=', 'authentication')
      .where('status', 'in', usable)
      .executeTakeFirst();
    if (!row?.der)
      throw new IssuerError(
        'ERR_HOLDER_PROOF_INVALID',
        'the phone has no authentication certificate that can prove this',
      );
    subjectPublicKeyInfo = parseCertificate(new Uint8Array(row.der)).subjectPublicKeyInfo;
  } else {
    const card = await checkCardCertificate(
      context,
      cardAnchors,
      'authentication',
      base64Field(request.proof.certificate, 'proof.certificate', 'ERR_HOLDER_REQUEST_FORMAT'),
      context.clock(),
    );
    await requireOwner(context, card.cardId, phone.person_id);
    subjectPublicKeyInfo = card.certificate.subjectPublicKeyInfo;
  }
  const verified = await verifyPkcs1Signature({
    subjectPublicKeyInfo,
    data: statement,
    signature,
    hash: 'SHA-256',
    backend: nodeCryptoBackend,
  }).catch(() => false);
  if (!verified)
    throw new IssuerError('ERR_HOLDER_PROOF_INVALID', `the ${kind} signature over the request does not verify`);
  return changePhone(context, phoneId, request.action, `holder:${phone.person_id}`, `the holder asked (${kind} key)`);
}

/** The PINs a reset request names (known, each once) once its form is checked (`ERR_HOLDER_REQUEST_FORMAT`). */
function checkPinResetForm(request: PinResetRequest): readonly string[] {
  const given: readonly unknown[] = Array.isArray(request.pins) ? (request.pins as readonly unknown[]) : [];
  const resettable: readonly unknown[] = PHONE_RESETTABLE_PINS;
  if (given.length === 0 || new Set(given).size !== given.length || !given.every((pin) => resettable.includes(pin)))
    throw new IssuerError(
      'ERR_HOLDER_REQUEST_FORMAT',
      `"pins" names one or more of ${PHONE_RESETTABLE_PINS.join(', ')}, each once`,
    );
  if (typeof request.phoneNonce !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(request.phoneNonce))
    throw new IssuerError('ERR_HOLDER_REQUEST_FORMAT', '"phoneNonce" is 16–128 base64url characters');
  return given as readonly string[];
}

/**
 * Authorizes a reset of the phone's PINs with the stronger factor: the holder's physical card, whose
 * JPKI signing key (behind the card's signing password) signs the {@link pinResetStatement}. Checks, in
 * order: the request's form (known PINs, the phone's nonce); the challenge (consumed now); the phone is
 * active; the card's signing certificate is on record, valid and the phone owner's; the signature.
 * Returns an ES256 token ({@link PIN_RESET_AUTHORIZATION_TYPE}) the phone's secure area verifies with
 * the key it pinned at provisioning before it lets the holder set new PINs.
 */
export async function authorizePinReset(
  context: IssuerContext,
  options: { readonly cardAnchors: CardAnchors; readonly authority: PinResetAuthority },
  phoneId: string,
  request: PinResetRequest,
): Promise<{ authorization: string; expiresAt: string }> {
  const pins = checkPinResetForm(request);
  const signature = base64Field(request.signature, 'signature', 'ERR_HOLDER_REQUEST_FORMAT');
  const certificate = base64Field(
    request.cardSigningCertificate,
    'cardSigningCertificate',
    'ERR_HOLDER_REQUEST_FORMAT',
  );
  const nonce = await claimChallenge(context, request.challengeId, phoneId, 'pin-reset');
  const phone = await phoneOf(context, phoneId);
  if (phone.status !== 'active')
    throw new IssuerError('ERR_PHONE_STATE', `a ${phone.status} phone's PINs are not reset; resume it first`);
  const now = context.clock();
  const card = await checkCardCertificate(context, options.cardAnchors, 'signing', certificate, now);
  await requireOwner(context, card.cardId, phone.person_id);
  const verified = await verifyPkcs1Signature({
    subjectPublicKeyInfo: card.certificate.subjectPublicKeyInfo,
    data: pinResetStatement({ phoneId, pins, phoneNonce: request.phoneNonce, nonce }),
    signature,
    hash: 'SHA-256',
    backend: nodeCryptoBackend,
  }).catch(() => false);
  if (!verified)
    throw new IssuerError('ERR_HOLDER_PROOF_INVALID', 'the card signing signature over the request does not verify');
  const jti = newId(context, 'J');
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = issuedAt + PIN_RESET_AUTHORIZATION_SECONDS;
  const authorization = await signPinResetAuthorization(options.authority, phoneId, pins, request.phoneNonce, {
    jti,
    iat: issuedAt,
    exp: expiresAt,
  });
  await inTransaction(context.db, (trx) =>
    appendAudit(trx, context, {
      actor: `holder:${phone.person_id}`,
      action: 'phone.pin-reset-authorized',
      subjectType: 'phone',
      subjectId: phoneId,
      reason: 'the holder proved the card and its signing password',
      details: { pins, jti },
    }),
  );
  return { authorization, expiresAt: new Date(expiresAt * 1000).toISOString() };
}

/** The ES256 JWT the phone's secure area checks ({@link PIN_RESET_AUTHORIZATION_TYPE}), signed by the custody's key. */
function signPinResetAuthorization(
  authority: PinResetAuthority,
  phoneId: string,
  pins: readonly string[],
  phoneNonce: string,
  claims: { readonly jti: string; readonly iat: number; readonly exp: number },
): Promise<string> {
  return signEs256Jwt(
    authority.key,
    { typ: PIN_RESET_AUTHORIZATION_TYPE },
    { pins: [...pins], nonce: phoneNonce, iss: authority.issuer, sub: phoneId, ...claims },
  );
}

export async function phoneOf(context: IssuerContext, phoneId: string) {
  const phone = await context.db
    .selectFrom('phones')
    .select(['person_id', 'card_id', 'status', 'device_key'])
    .where('id', '=', phoneId)
    .executeTakeFirst();
  if (!phone) throw new IssuerError('ERR_PHONE_NOT_FOUND', 'no such phone');
  return phone;
}

/** The card proving a request must be an active card of the phone's owner. */
async function requireOwner(context: IssuerContext, cardId: string, personId: string): Promise<void> {
  const card = await context.db
    .selectFrom('cards')
    .select(['person_id', 'status'])
    .where('id', '=', cardId)
    .executeTakeFirstOrThrow();
  if (card.status !== 'active') throw new IssuerError('ERR_CARD_STATE', 'the card is no longer valid');
  if (card.person_id !== personId)
    throw new IssuerError('ERR_HOLDER_NOT_PHONE_OWNER', 'the card belongs to someone other than the phone’s holder');
}

/** Consumes a challenge: it must be this phone's and purpose's, unexpired, and not used before. */
export async function claimChallenge(
  context: IssuerContext,
  challengeId: string,
  phoneId: string,
  purpose: HolderChallengePurpose,
): Promise<string> {
  const now = context.clock();
  const challenge =
    typeof challengeId === 'string'
      ? await context.db.selectFrom('holder_challenges').selectAll().where('id', '=', challengeId).executeTakeFirst()
      : undefined;
  if (!challenge || challenge.phone_id !== phoneId || challenge.purpose !== purpose)
    throw new IssuerError('ERR_HOLDER_CHALLENGE_UNKNOWN', 'no such challenge for this phone and request');
  if (isoTime(now) > challenge.expires_at)
    throw new IssuerError('ERR_HOLDER_CHALLENGE_EXPIRED', 'the challenge has expired; ask for a new one');
  const claimed = await context.db
    .updateTable('holder_challenges')
    .set({ used_at: isoTime(now) })
    .where('id', '=', challengeId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (claimed.numUpdatedRows !== 1n)
    throw new IssuerError('ERR_HOLDER_CHALLENGE_REPLAYED', 'this challenge was already used');
  return challenge.nonce;
}
