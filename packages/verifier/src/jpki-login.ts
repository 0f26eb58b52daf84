import {
  fail,
  parseCertificate,
  pass,
  summarize,
  verifyPkcs1Signature,
  type CheckResult,
  type VerificationSummary,
  type X509Certificate,
} from '@openmyna/pki';
import { sha256 } from '@noble/hashes/sha2.js';
import { loginStatement } from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';

import { checkJpkiChain } from './chain.js';
import { VerifierError } from './errors.js';
import { verificationRecord, type VerificationRecord } from './record.js';
import type { JpkiTrust } from './trust.js';

/** A login challenge: single use, short-lived, bound to the relying party that asked. */
export interface LoginChallenge {
  readonly id: string;
  /** 256 random bits, base64url. */
  readonly value: string;
  /** The relying party's client id (its OpenID4VP `client_id`). */
  readonly clientId: string;
  readonly expiresAt: Date;
}

/** What consuming a challenge found. */
export type ChallengeLookup =
  { readonly found: 'fresh'; readonly challenge: LoginChallenge } | { readonly found: 'unknown' | 'expired' | 'used' };

/**
 * Where challenges live between issue and answer. `consume` must be atomic: of two concurrent calls
 * for one id, at most one finds it fresh (the service keeps them in its database).
 */
export interface ChallengeStore {
  put(challenge: LoginChallenge): Promise<void>;
  consume(id: string, now: Date): Promise<ChallengeLookup>;
}

/** Challenges in memory (one process); used ones are remembered until they expire, then dropped. */
export class MemoryChallengeStore implements ChallengeStore {
  readonly #challenges = new Map<string, { challenge: LoginChallenge; used: boolean }>();

  put(challenge: LoginChallenge): Promise<void> {
    if (this.#challenges.has(challenge.id))
      return Promise.reject(new VerifierError('ERR_CHALLENGE_STORE', 'a challenge with this id exists'));
    this.#challenges.set(challenge.id, { challenge, used: false });
    return Promise.resolve();
  }

  consume(id: string, now: Date): Promise<ChallengeLookup> {
    for (const [key, entry] of this.#challenges)
      if (entry.challenge.expiresAt.getTime() < now.getTime() - 60_000) this.#challenges.delete(key);
    const entry = this.#challenges.get(id);
    if (!entry) return Promise.resolve({ found: 'unknown' });
    if (entry.used) return Promise.resolve({ found: 'used' });
    entry.used = true;
    if (entry.challenge.expiresAt.getTime() <= now.getTime()) return Promise.resolve({ found: 'expired' });
    return Promise.resolve({ found: 'fresh', challenge: entry.challenge });
  }
}

/** How long a login challenge may be answered, by default. */
export const LOGIN_CHALLENGE_SECONDS = 120;

/** Issues a login challenge for `clientId` and stores it. */
export async function createLoginChallenge(
  store: ChallengeStore,
  options: {
    readonly clientId: string;
    readonly clock: () => Date;
    readonly randomBytes?: (length: number) => Uint8Array;
    readonly seconds?: number;
  },
): Promise<LoginChallenge> {
  const random = options.randomBytes ?? ((length: number) => crypto.getRandomValues(new Uint8Array(length)));
  const challenge: LoginChallenge = {
    id: base64UrlEncode(random(16)),
    value: base64UrlEncode(random(32)),
    clientId: options.clientId,
    expiresAt: new Date(options.clock().getTime() + (options.seconds ?? LOGIN_CHALLENGE_SECONDS) * 1000),
  };
  await store.put(challenge);
  return challenge;
}

/** The result of {@link verifyJpkiAuthentication}. */
export interface JpkiAuthenticationVerification extends VerificationSummary {
  readonly certificate?: X509Certificate;
  readonly record: VerificationRecord;
}

/**
 * Verifies a signature by a JPKI authentication key over `content`: `auth.certificate`,
 * `auth.signature` (RSASSA-PKCS1-v1_5, SHA-256 or, for old signatures, SHA-1), then the certificate's
 * path to the authentication anchors with key usage, policy and revocation at `time`.
 */
export async function verifyJpkiAuthentication(
  trust: JpkiTrust,
  input: {
    readonly certificate: Uint8Array;
    readonly signature: Uint8Array;
    readonly content: Uint8Array;
    readonly hash?: 'SHA-256' | 'SHA-1';
    readonly time?: Date;
  },
  leading: readonly CheckResult[] = [],
): Promise<JpkiAuthenticationVerification> {
  const time = input.time ?? trust.clock();
  const checks: CheckResult[] = [...leading];
  let certificate: X509Certificate | undefined;
  let revocation: Awaited<ReturnType<typeof checkJpkiChain>>['revocation'] | undefined;
  if (!leading.some((check) => check.status === 'fail')) {
    try {
      certificate = parseCertificate(input.certificate);
      checks.push(pass('auth.certificate'));
    } catch {
      checks.push(fail('auth.certificate', 'the authentication certificate is not a certificate'));
    }
  }
  if (certificate) {
    const verified = await verifyPkcs1Signature({
      subjectPublicKeyInfo: certificate.subjectPublicKeyInfo,
      data: input.content,
      signature: input.signature,
      hash: input.hash ?? 'SHA-256',
      ...(trust.backend ? { backend: trust.backend } : {}),
    }).catch(() => false);
    checks.push(verified ? pass('auth.signature') : fail('auth.signature', 'the signature does not verify'));
    if (verified) {
      const chain = await checkJpkiChain(trust, 'authentication', certificate, time);
      checks.push(...chain.checks);
      revocation = chain.revocation;
    }
  }
  const summary = summarize(checks);
  return {
    ...summary,
    ...(summary.status !== 'invalid' && certificate ? { certificate } : {}),
    record: verificationRecord(summary, {
      method: 'jpki-login',
      at: trust.clock(),
      ...(certificate ? { certificate } : {}),
      ...(revocation ? { revocation } : {}),
    }),
  };
}

/** The result of {@link verifyJpkiLogin}. */
export interface JpkiLoginVerification extends JpkiAuthenticationVerification {
  /**
   * A stable subject identifier for account linking, pairwise per relying party: the same for every
   * login with this authentication certificate at this client id, unrelated across relying parties.
   * A renewed certificate gives a new one (J-LIS links old and new through its own service).
   */
  readonly subject?: string;
}

/**
 * Verifies a JPKI login: `login.challenge` (known, for this client id, unexpired, unused — consumed
 * now, whatever follows), then {@link verifyJpkiAuthentication} over the {@link loginStatement}.
 */
export async function verifyJpkiLogin(
  trust: JpkiTrust,
  store: ChallengeStore,
  input: {
    readonly challengeId: string;
    readonly clientId: string;
    readonly nonce?: string;
    readonly certificate: Uint8Array;
    readonly signature: Uint8Array;
  },
): Promise<JpkiLoginVerification> {
  const lookup = await store.consume(input.challengeId, trust.clock());
  let challenge: LoginChallenge | undefined;
  let first: CheckResult;
  if (lookup.found !== 'fresh') first = fail('login.challenge', `the challenge is ${lookup.found}`);
  else if (lookup.challenge.clientId !== input.clientId)
    first = fail('login.challenge', 'the challenge was issued to another relying party');
  else {
    challenge = lookup.challenge;
    first = pass('login.challenge');
  }
  const result = await verifyJpkiAuthentication(
    trust,
    {
      certificate: input.certificate,
      signature: input.signature,
      content: challenge ? loginStatement(challenge, input.nonce) : new Uint8Array(),
    },
    [first],
  );
  if (result.status !== 'valid' || !result.certificate) return result;
  return { ...result, subject: loginSubject(input.clientId, result.certificate) };
}

/**
 * The pairwise subject identifier of an authentication certificate at a relying party: SHA-256 over the
 * client id, the issuer and the serial number, base64url.
 */
export function loginSubject(clientId: string, certificate: X509Certificate): string {
  const material = new Uint8Array([
    ...new TextEncoder().encode(`openmyna/jpki-login-subject/v1\n${clientId}\n`),
    ...certificate.issuer,
    ...certificate.serialNumber,
  ]);
  return base64UrlEncode(sha256(material));
}
