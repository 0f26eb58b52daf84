import type { MdocRefillRequest, ProvisioningCompletion } from '@openmyna/card';

import { fetchJson, postJson } from './http.js';

/** The issuer's holder-facing API (DESIGN.md flow 2 and 7; the issuer's OpenAPI document). */
export class IssuerClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string, fetcher: typeof fetch = fetch) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetcher;
  }

  get baseUrl(): string {
    return this.#base;
  }

  openProvisioningSession(): Promise<{ sessionId: string; nonce: string; expiresAt: string }> {
    return this.#post('/provisioning/sessions', {}, 'opening a provisioning session');
  }

  completeProvisioning(sessionId: string, completion: ProvisioningCompletion): Promise<unknown> {
    return this.#post(
      `/provisioning/sessions/${encodeURIComponent(sessionId)}/complete`,
      completion,
      'completing the provisioning',
    );
  }

  openChallenge(
    phoneId: string,
    purpose: 'lifecycle' | 'pin-reset' | 'mdoc-refill',
  ): Promise<{ challengeId: string; nonce: string; expiresAt: string }> {
    return this.#post(`/phones/${encodeURIComponent(phoneId)}/challenges`, { purpose }, 'opening a challenge');
  }

  changeLifecycle(
    phoneId: string,
    body: {
      challengeId: string;
      action: 'suspend' | 'resume' | 'revoke';
      proof: { kind: 'phone-authentication'; signature: string };
    },
  ): Promise<{ status: string; serials: string[] }> {
    return this.#post(`/phones/${encodeURIComponent(phoneId)}/lifecycle`, body, `asking to ${body.action} the phone`);
  }

  authorizePinReset(
    phoneId: string,
    body: {
      challengeId: string;
      pins: string[];
      phoneNonce: string;
      cardSigningCertificate: string;
      signature: string;
    },
  ): Promise<{ authorization: string; expiresAt: string }> {
    return this.#post(`/phones/${encodeURIComponent(phoneId)}/pin-resets`, body, 'asking for a PIN reset');
  }

  refillMdocs(phoneId: string, body: MdocRefillRequest): Promise<{ mdocs: unknown; validUntil: unknown }> {
    return this.#post(`/phones/${encodeURIComponent(phoneId)}/mdoc-refills`, body, 'refilling the mdoc batch');
  }

  #post<T>(path: string, body: unknown, what: string): Promise<T> {
    return fetchJson<T>(this.#fetch, `${this.#base}${path}`, postJson(body), 'ERR_ISSUER_REFUSED', what);
  }
}
