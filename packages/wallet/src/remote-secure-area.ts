import {
  CARD_ATR,
  SECURE_AREA_PROTOCOL,
  secureAreaSigningInput,
  type CardTransport,
  type PhoneKeys,
  type SecureAreaKeyName,
  type SecureAreaOperation,
} from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';
import type { EcPrivateKey } from '@openmyna/mdoc';
import { base64ToBytes, bytesToBase64 } from '@openmyna/pki';

import { WalletError } from './errors.js';
import { fetchJson, postJson } from './http.js';

/** Where a phone's remote secure area is and which device it is there. */
export interface RemoteSecureAreaBinding {
  /** The service's base URL (the issuer's, `…/secure-area` beneath it). */
  readonly url: string;
  readonly deviceId: string;
  /** The storage's id of the device-bound key. */
  readonly keyId: string;
}

/**
 * Whether the issuer at `issuerUrl` offers a remote secure area (`GET /secure-area`): `false` only
 * when it says so (404, or another protocol); an issuer that cannot be asked is `ERR_NETWORK`, so that
 * a blocked request never quietly puts a phone's keys and counters on the phone.
 */
export async function issuerOffersSecureArea(issuerUrl: string, fetcher: typeof fetch = fetch): Promise<boolean> {
  const what = 'asking the issuer whether it offers a remote secure area';
  let response: Response;
  try {
    response = await fetcher(`${issuerUrl.replace(/\/+$/, '')}/secure-area`);
  } catch (error) {
    throw new WalletError('ERR_NETWORK', `${what}: the issuer cannot be reached`, { cause: error });
  }
  if (response.status === 404) return false;
  if (!response.ok) throw new WalletError('ERR_NETWORK', `${what}: HTTP ${response.status}`);
  try {
    const body = (await response.json()) as { protocol?: unknown };
    return body.protocol === SECURE_AREA_PROTOCOL;
  } catch (error) {
    throw new WalletError('ERR_NETWORK', `${what}: the answer is not JSON`, { cause: error });
  }
}

/** Makes the phone's pending keys in the remote secure area for its device-bound key. */
export async function enrollRemoteSecureArea(
  url: string,
  deviceKey: JsonWebKey,
  fetcher: typeof fetch,
): Promise<{ deviceId: string; publicKeys: Omit<PhoneKeys, 'deviceKey' | 'batchDeviceKeys'> }> {
  const { kty, crv, x, y } = deviceKey;
  return fetchJson(
    fetcher,
    `${url.replace(/\/+$/, '')}/secure-area/devices`,
    postJson({ deviceKey: { kty, crv, x, y } }),
    'ERR_ISSUER_REFUSED',
    'making keys in the remote secure area',
  );
}

/**
 * One session with the remote secure area, bound to the phone's device key: the service's challenge is
 * signed into every message with the next sequence number, so a message counts once, in order, in
 * this session. Operations run one at a time.
 */
export class RemoteSecureAreaSession {
  readonly #binding: RemoteSecureAreaBinding;
  readonly #key: EcPrivateKey;
  readonly #fetch: typeof fetch;
  #opened: Promise<{ sessionId: string; challenge: string }> | undefined;
  #sequence = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(binding: RemoteSecureAreaBinding, key: EcPrivateKey, fetcher: typeof fetch) {
    this.#binding = binding;
    this.#key = key;
    this.#fetch = fetcher;
  }

  /** Runs `operation` in this session (opened at the first one). */
  send<T = Record<string, unknown>>(operation: SecureAreaOperation): Promise<T> {
    const run = this.#queue.then(() => this.#send<T>(operation));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Forgets the session: the next operation opens another (the applets' security state is gone). */
  restart(): void {
    this.#opened = undefined;
  }

  /**
   * Ends the session at the service — the applets' security state (a verified PIN) with it — and
   * forgets it. Queued behind the operations sent before; a service that cannot be reached ends it
   * itself when it idles out.
   */
  end(): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#opened === undefined) return;
      await this.#send({ op: 'end' }, true).catch(() => undefined);
      this.#opened = undefined;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #send<T>(operation: SecureAreaOperation, again = false): Promise<T> {
    const base = this.#binding.url.replace(/\/+$/, '');
    this.#opened ??= fetchJson<{ sessionId: string; challenge: string }>(
      this.#fetch,
      `${base}/secure-area/devices/${encodeURIComponent(this.#binding.deviceId)}/sessions`,
      postJson({}),
      'ERR_ISSUER_REFUSED',
      'opening a session with the remote secure area',
    ).then((session) => {
      this.#sequence = 0;
      return session;
    });
    let session;
    try {
      session = await this.#opened;
    } catch (error) {
      this.#opened = undefined;
      throw revokedOr(error);
    }
    const message = new TextEncoder().encode(JSON.stringify({ ...operation, sequence: this.#sequence++ }));
    const signature = await this.#key.signEs256(secureAreaSigningInput(session.sessionId, session.challenge, message));
    try {
      return await fetchJson<T>(
        this.#fetch,
        `${base}/secure-area/devices/${encodeURIComponent(this.#binding.deviceId)}/sessions/${encodeURIComponent(session.sessionId)}`,
        postJson({ message: base64UrlEncode(message), signature: base64UrlEncode(signature) }),
        'ERR_ISSUER_REFUSED',
        `the remote secure area (${operation.op})`,
      );
    } catch (error) {
      // A lost session (expired, or opened on another instance) or a message that may not have arrived
      // leaves the sequence unknown: the next operation opens a new session.
      // A refused message may or may not have taken its sequence number: the session is not used again.
      this.#opened = undefined;
      // A session that ended (idle, or its instance restarted) ran nothing of this message: it is sent
      // once more in a new session, whose applets start with no PIN verified (as a card after a reset).
      if (!again && error instanceof WalletError && error.serverCode === 'ERR_SECURE_AREA_SESSION_UNKNOWN')
        return this.#send<T>(operation, true);
      throw revokedOr(error);
    }
  }
}

/** The service's "keys destroyed" as the wallet's own code; anything else as it was. */
function revokedOr(error: unknown): unknown {
  if (error instanceof WalletError && error.serverCode === 'ERR_SECURE_AREA_WIPED')
    return new WalletError(
      'ERR_PHONE_REVOKED',
      "this phone's keys in the issuer's secure area were destroyed (the phone was revoked or wiped); add the card again",
      { cause: error },
    );
  return error;
}

/** The phone's applets in the remote secure area as a card: APDUs go over the session. */
export class RemoteCard implements CardTransport {
  readonly atr = CARD_ATR;
  readonly #session: RemoteSecureAreaSession;

  constructor(session: RemoteSecureAreaSession) {
    this.#session = session;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const { response } = await this.#session.send<{ response: string }>({ op: 'apdu', apdu: bytesToBase64(command) });
    return base64ToBytes(response);
  }

  /** Clears the security state, as a card leaving the field: the session ends, the next APDU opens another. */
  reset(): void {
    void this.#session.end();
  }

  /** Ends the session (the end of an operation). */
  end(): Promise<void> {
    return this.#session.end();
  }
}

/** A pending remote key's PKCS#1 v1.5 signature over a SHA-256 DigestInfo. */
export async function remotePendingSign(
  session: RemoteSecureAreaSession,
  key: SecureAreaKeyName,
  digestInfo: Uint8Array,
): Promise<Uint8Array> {
  const { signature } = await session.send<{ signature: string }>({
    op: 'pending-sign',
    key,
    digestInfo: bytesToBase64(digestInfo),
  });
  return base64ToBytes(signature);
}
