import { fetchJson, postJson } from './http.js';
import type { PhonePublicKeys } from './secure-area.js';

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
    purpose: 'lifecycle' | 'pin-reset',
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

  #post<T>(path: string, body: unknown, what: string): Promise<T> {
    return fetchJson<T>(this.#fetch, `${this.#base}${path}`, postJson(body), 'ERR_ISSUER_REFUSED', what);
  }
}

/** The phone's side of `POST /provisioning/sessions/{id}/complete` (all binary values base64). */
export interface ProvisioningCompletion {
  readonly cardAuthenticationCertificate: string;
  readonly cardAuthenticationSignature: string;
  readonly cardSigningCertificate: string;
  readonly application: string;
  readonly applicationSignature: string;
  readonly phoneAttestation: {
    readonly authenticationRequest: string;
    readonly signingRequest: string;
    readonly cardFaceKeySignature: string;
    readonly deviceKeySignature: string;
  };
}

/** The application the card's signing key signs: the nonce and the phone's new public keys. */
export function provisioningApplication(nonce: string, keys: PhonePublicKeys): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      nonce,
      phone: {
        authenticationKey: keys.authenticationKey,
        signingKey: keys.signingKey,
        cardFaceKey: keys.cardFaceKey,
        deviceKey: keys.deviceKey,
      },
    }),
  );
}
