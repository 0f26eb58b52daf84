// The four loads of the capacity benchmark, each spread round-robin over the running instances:
// OCSP requests (autocannon), phone provisioning completions, JPKI logins and OpenID4VP presentations
// of the phone's mdoc (own clients).
import { loginStatement, type PhoneBundle } from '@openmyna/card';
import {
  createAuthorizationResponse,
  createDeviceResponse,
  decodeIssuedMdoc,
  ISO_23220_NAMESPACE,
  mdocTrustAnchor,
  parseAuthorizationRequestUri,
  type EcPrivateKey,
  sessionTranscriptForRequest,
  verifyRequestObject,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { base64ToBytes, certIdFor, encodeOcspRequest, parseCertificate } from '@openmyna/pki';
import autocannon from 'autocannon';

import { newPhoneRsaKeys, phoneCompletes, type PhoneRsaKeys } from '../test-support/phone-proofs.js';
import { expectJson, type IssuedCard } from './capacity-cluster.js';

/** Reads a running total (the services' CPU seconds): the loads read it around their timed part only. */
export type Meter = () => number;

/** A measured load: operations per second over the run, failures, latency percentiles. */
export interface LoadResult {
  readonly perSecond: number;
  readonly operations: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  /** What the meter (the services' CPU seconds) advanced by over the timed part, when one was given. */
  readonly metered?: number;
  /** Why the first failed operation failed, if any did. */
  readonly firstError?: string;
  /** CPU the load generator (this process) used, as a share of one core over the run; near 1 means it, not the service, was the limit. */
  readonly clientCpu?: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;

/** The OCSP request (RFC 6960) for each card's JPKI authentication certificate. */
export function ocspRequests(cards: readonly IssuedCard[]): Buffer[] {
  return cards.map(({ card }) =>
    Buffer.from(
      encodeOcspRequest([
        certIdFor(
          parseCertificate(base64ToBytes(card.jpki.authenticationCertificate)),
          parseCertificate(base64ToBytes(card.jpki.authenticationCaCertificate)),
        ),
      ]),
    ),
  );
}

/** `POST /ocsp/authentication` with these requests in turn, autocannon over every instance. */
export async function loadOcsp(
  urls: readonly string[],
  bodies: readonly Buffer[],
  seconds: number,
  meter?: Meter,
): Promise<LoadResult> {
  const before = meter?.();
  const result = await autocannon({
    // autocannon spreads its connections over several URLs (lib/run.js); its types admit only one.
    url: urls.map((url) => `${url}/ocsp/authentication`) as unknown as string,
    connections: 16 * urls.length,
    duration: seconds,
    requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body })),
  });
  return {
    perSecond: result.requests.average,
    operations: result.requests.total,
    errors: result.errors + result.non2xx,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ...(meter && before !== undefined ? { metered: meter() - before } : {}),
  };
}

/**
 * `runWorkers` after one untimed round (each worker once), which reaches every instance round-robin:
 * the per-process first-time costs (caches filled, code compiled) stay out of the figures.
 */
async function runWarmWorkers(
  workers: number,
  count: number,
  task: (worker: number, i: number) => Promise<boolean>,
  meter?: Meter,
): Promise<LoadResult> {
  await runWorkers(workers, 1, task);
  return runWorkers(workers, count, task, meter);
}

/**
 * The address phone `n` sends from, in `X-Forwarded-For` (the instances trust it from this host only):
 * the load generator stands in for many phones, and the services' per-address limits count phones.
 */
function phoneAddress(n: number): Record<string, string> {
  return { 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
}

/** Runs `task(worker, i)` for i = 0 … count-1 of each worker, `workers` at once; timed from the first start. */
async function runWorkers(
  workers: number,
  count: number,
  task: (worker: number, i: number) => Promise<boolean>,
  meter?: Meter,
): Promise<LoadResult> {
  const metered = meter?.();
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; i < count; i++) {
        const at = performance.now();
        const done = await task(worker, i).catch((error: unknown) => {
          firstError ??= error instanceof Error ? error.message : String(error);
          return false;
        });
        if (done) latencies.push(performance.now() - at);
        else {
          errors++;
          firstError ??= 'the service answered, but not with success';
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / elapsed,
    operations: latencies.length,
    errors,
    p50: Math.round(percentile(latencies, 0.5)),
    p99: Math.round(percentile(latencies, 0.99)),
    clientCpu: (used.user + used.system) / 1e6 / elapsed,
    ...(meter && metered !== undefined ? { metered: meter() - metered } : {}),
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** A provisioned phone: its keys and what the issuer returned. */
export interface ProvisionedPhone {
  readonly keys: PhoneRsaKeys;
  /** The mdoc's device key (the bundle's mdoc is bound to it). */
  readonly device: EcPrivateKey;
  readonly bundle: PhoneBundle;
}

/**
 * Phone provisioning, timed on the issuer's side only: per card, `perCard` sessions are opened and the
 * phone's proofs made (card signatures, CSRs, device key) before the clock starts; then each card's
 * completions (`POST /provisioning/sessions/{id}/complete`: every check, 2 certificates, 入力補助/券面
 * records, the mdoc, the database) are sent one after another, the cards in parallel, round-robin over
 * the instances — to another instance than the one that opened the session.
 */
export async function loadProvisioning(
  urls: readonly string[],
  cards: readonly IssuedCard[],
  perCard: number,
  meter?: Meter,
): Promise<{ result: LoadResult; phones: ProvisionedPhone[] }> {
  // Per card, one untimed completion on each instance first: an instance opens a municipality's card-face
  // issuer keys once (PBKDF2, ~0.1 s each), which would otherwise be charged to the few timed completions.
  const warm = urls.length;
  const prepared = await Promise.all(
    cards.map(async (issued, worker) => {
      const keys = await newPhoneRsaKeys();
      const device = await nodeMdocCrypto.generateEcKey();
      const bodies: { url: string; sessionId: string; body: string }[] = [];
      for (let i = 0; i < warm + perCard; i++) {
        const at = (worker + i) % urls.length;
        const session = await expectJson<{ sessionId: string; nonce: string }>(
          await fetch(`${urls[at]}/provisioning/sessions`, { method: 'POST', headers: phoneAddress(worker) }),
          201,
          'POST /provisioning/sessions',
        );
        const body = await phoneCompletes(issued.card, issued.passphrase, session.nonce, { keys, device });
        bodies.push({ url: urls[(at + 1) % urls.length]!, sessionId: session.sessionId, body: JSON.stringify(body) });
      }
      return { keys, device, bodies };
    }),
  );
  const bundles: PhoneBundle[] = [];
  const complete = (offset: number) => async (worker: number, i: number) => {
    const { url, sessionId, body } = prepared[worker]!.bodies[offset + i]!;
    const response = await fetch(`${url}/provisioning/sessions/${sessionId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...phoneAddress(worker) },
      body,
    });
    if (response.status !== 200)
      throw new Error(`the completion answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    bundles[worker] = (await response.json()) as PhoneBundle;
    return true;
  };
  await runWorkers(cards.length, warm, complete(0));
  const result = await runWorkers(cards.length, perCard, complete(warm), meter);
  return {
    result,
    phones: prepared.map(({ keys, device }, worker) => ({ keys, device, bundle: bundles[worker]! })),
  };
}

/**
 * JPKI logins at the verifier (`jpki_auth`): a challenge (`POST /v1/jpki/login/challenges`), the phone's
 * authentication key signs the login statement, the answer verified (`POST /v1/jpki/login/verify`: the
 * challenge consumed, signature, chain, policy, OCSP answered from the verifier's cache). `workers`
 * logins at once, round-robin over the instances and over the relying parties' API keys (each key is
 * rate-limited: 20/s per instance).
 */
export async function loadLogins(
  urls: readonly string[],
  apiKeys: readonly string[],
  phones: readonly ProvisionedPhone[],
  workers: number,
  perWorker: number,
  meter?: Meter,
): Promise<LoadResult> {
  let turn = 0;
  return runWarmWorkers(workers, perWorker, login, meter);

  async function login(worker: number): Promise<boolean> {
    const n = turn++;
    const url = urls[n % urls.length]!;
    const headers = { authorization: `Bearer ${apiKeys[n % apiKeys.length]!}`, 'content-type': 'application/json' };
    const phone = phones[worker % phones.length]!;
    const challenge = await expectJson<{ challengeId: string; challenge: string; clientId: string }>(
      await fetch(`${url}/v1/jpki/login/challenges`, { method: 'POST', headers }),
      201,
      'POST /v1/jpki/login/challenges',
    );
    const signature = await phone.keys.authentication.sign(
      loginStatement({ value: challenge.challenge, clientId: challenge.clientId }),
    );
    const body = JSON.stringify({
      challengeId: challenge.challengeId,
      certificate: phone.bundle.jpki.authenticationCertificate,
      signature: Buffer.from(signature).toString('base64'),
    });
    const outcome = await expectJson<{ status: string }>(
      await fetch(`${urls[(n + 1) % urls.length]}/v1/jpki/login/verify`, { method: 'POST', headers, body }),
      200,
      'POST /v1/jpki/login/verify',
    );
    return outcome.status === 'valid';
  }
}

/** What the presentations ask: the shop's question (age over 20), no My Number (the parties are registered without it). */
const PRESENTED = { [ISO_23220_NAMESPACE]: ['age_over_20'] };

/**
 * OpenID4VP presentations of the phone's mdoc (DESIGN.md flow 2), every step over HTTP: the relying party
 * creates the request (`POST /v1/presentations`: a signed request object), the wallet fetches it and checks
 * its signature and chain to the reader CA (`readerCa`), answers with a DeviceResponse encrypted to the
 * verifier (`direct_post.jwt`), and the relying party reads the result (`GET /v1/presentations/{id}`:
 * decrypted, issuer and device signatures, validity, status list). The three requests go to three
 * instances in turn. The wallet's work (request check, device signature, encryption) is the load
 * generator's CPU, not the service's.
 */
export async function loadPresentations(
  urls: readonly string[],
  apiKeys: readonly string[],
  phones: readonly ProvisionedPhone[],
  readerCa: Uint8Array,
  workers: number,
  perWorker: number,
  meter?: Meter,
): Promise<LoadResult> {
  const anchor = mdocTrustAnchor(readerCa);
  let turn = 0;
  return runWarmWorkers(workers, perWorker, present, meter);

  async function present(worker: number): Promise<boolean> {
    const n = turn++;
    const at = (step: number) => urls[(n + step) % urls.length]!;
    const headers = { authorization: `Bearer ${apiKeys[n % apiKeys.length]!}`, 'content-type': 'application/json' };
    const phone = phones[worker % phones.length]!;
    // Each presentation comes from another phone, with its own address (the per-address limit counts phones).
    const fromPhone = phoneAddress(n);
    const created = await expectJson<{ id: string; link: string }>(
      await fetch(`${at(0)}/v1/presentations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          elements: Object.entries(PRESENTED).flatMap(([nameSpace, ids]) =>
            ids.map((elementIdentifier) => ({ nameSpace, elementIdentifier, intentToRetain: false })),
          ),
          purpose: '年齢確認',
        }),
      }),
      201,
      'POST /v1/presentations',
    );
    const { clientId, requestUri } = parseAuthorizationRequestUri(created.link);
    const requestUrl = new URL(requestUri);
    const { checks, verified } = await verifyRequestObject({
      jwt: await (await fetch(`${at(1)}${requestUrl.pathname}${requestUrl.search}`, { headers: fromPhone })).text(),
      readerAnchors: [anchor],
      time: new Date(),
      crypto: nodeMdocCrypto,
      expectedClientId: clientId,
    });
    if (!verified) throw new Error(`the request object did not verify: ${JSON.stringify(checks)}`);
    const request = verified.request;
    const deviceResponse = await createDeviceResponse({
      issued: decodeIssuedMdoc(base64ToBytes(phone.bundle.mdoc)),
      release: new Map(Object.entries(PRESENTED).map(([ns, ids]) => [ns, new Set(ids)])),
      sessionTranscript: await sessionTranscriptForRequest(request, nodeMdocCrypto),
      deviceKey: phone.device,
      mode: { type: 'signature' },
      crypto: nodeMdocCrypto,
    });
    const form = await createAuthorizationResponse({ request, presentations: { card: [deviceResponse] } });
    const responseUrl = new URL(request.response_uri);
    const posted = await fetch(`${at(2)}${responseUrl.pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...fromPhone },
      body: new URLSearchParams(form).toString(),
    });
    if (posted.status !== 200)
      throw new Error(`the response endpoint answered ${posted.status}: ${await posted.text()}`);
    const outcome = await expectJson<{ status: string; result?: { status: string; checks?: unknown } }>(
      await fetch(`${at(3)}/v1/presentations/${created.id}`, { headers }),
      200,
      'GET /v1/presentations/{id}',
    );
    if (outcome.status !== 'completed' || outcome.result?.status !== 'valid')
      throw new Error(
        `the presentation ended ${outcome.status}/${outcome.result?.status}: ${JSON.stringify(outcome.result)}`,
      );
    return true;
  }
}
