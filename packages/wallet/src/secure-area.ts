import {
  decodeStoredPins,
  encodeStoredPins,
  JpkiReader,
  KenhojoReader,
  KenkakuReader,
  openPhoneCard,
  phoneReferenceData,
  protectPin,
  resetPinsWithIssuerAuthorization,
  SoftwareCardKey,
  type CardPrivateKey,
  type CardTransport,
  type PhonePins,
  type RetryCounter,
  type SmartCard,
} from '@openmyna/card';
import type { EcPrivateKey } from '@openmyna/mdoc';
import type { Signer } from '@openmyna/pki';

import { parsePhoneBundle, type PhoneBundle } from './bundle.js';
import { assertBundleMatches } from './bundle-binding.js';
import { WalletError } from './errors.js';
import { MdocPool } from './mdoc-pool.js';
import { assertPhonePins } from './pin-outcomes.js';
import {
  cardKeySigner,
  generateDeviceKeys,
  generateLocalKeys,
  generateRemoteKeys,
  type NewDeviceKey,
} from './phone-keys.js';
import {
  RemoteCard,
  RemoteSecureAreaSession,
  remotePendingSign,
  type RemoteSecureAreaBinding,
} from './remote-secure-area.js';
import {
  CREDENTIAL,
  PENDING,
  readCredential,
  readPending,
  readPendingKeys,
  rewriteCredential,
  sealCredential,
  type CredentialRecord,
  type CredentialSecrets,
  type PendingRecord,
  type PhonePublicKeys,
} from './secure-area-records.js';
import { storageRetryCounters, type WalletStorage } from './storage.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The phone's applets opened for one operation, with the reader-side clients over them. */
export interface OpenedCard {
  readonly transport: CardTransport;
  /** Whether the applets run in the remote secure area. */
  readonly remote: boolean;
  readonly jpki: JpkiReader;
  readonly kenhojo: KenhojoReader;
  readonly kenkaku: KenkakuReader;
  /** The applets' counters (a local secure area; the remote one keeps its own). */
  readonly counters: ReadonlyMap<string, RetryCounter>;
  readonly bundle: PhoneBundle;
}

/** What a PIN reset replaces: the issuer's authorization and the new values, by key reference. */
export interface PinResetRequest {
  readonly authorization: string;
  readonly phoneNonce: string;
  readonly now: Date;
  readonly pins: Readonly<Record<string, string>>;
}

/**
 * The phone's secure area: it makes the phone's keys, installs what the issuer returns, and opens the
 * phone's applets (JPKI, 入力補助, 券面, 住基) for one operation at a time, so that every use of a key
 * or record passes the applet's own PIN check and durable retry counter. Nothing returns private key
 * material; the RSA keys live sealed under the storage's non-extractable wrapping key, the mdoc
 * device key as a non-extractable key in the storage.
 */
export class SecureArea {
  readonly #storage: WalletStorage;
  readonly #cardKey: (jwk: JsonWebKey) => CardPrivateKey;
  readonly #fetch: typeof fetch;
  readonly #remoteUrl: string | undefined;
  /** The phone's batch of MSOs and their device keys. */
  readonly mdocs: MdocPool;

  constructor(
    storage: WalletStorage,
    options: {
      /** Makes the RSA keys from their JWKs (default `SoftwareCardKey`; Node may pass `nodeCardKey`). */
      cardKey?: (jwk: JsonWebKey) => CardPrivateKey;
      /** Make new keys in the remote secure area at this URL (the issuer's) rather than on the phone. */
      remote?: string;
      /** How the remote secure area is reached. */
      fetch?: typeof fetch;
    } = {},
  ) {
    this.#storage = storage;
    this.#cardKey = options.cardKey ?? ((jwk) => new SoftwareCardKey(jwk));
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#remoteUrl = options.remote;
    this.mdocs = new MdocPool(storage);
  }

  /**
   * Makes the phone's new keys for provisioning: three RSA-2048, and `batchSize` P-256 device keys (one
   * per single-use MSO of the batch).
   */
  generateKeys(batchSize = 1): Promise<PhonePublicKeys> {
    return this.#remoteUrl
      ? generateRemoteKeys(this.#storage, this.#remoteUrl, batchSize, this.#fetch)
      : generateLocalKeys(this.#storage, batchSize);
  }

  /** A session with the remote secure area of `binding`, bound to the phone's device key. */
  async #remoteSession(binding: RemoteSecureAreaBinding): Promise<RemoteSecureAreaSession> {
    const key = await this.#storage.deviceKey(binding.keyId);
    if (!key) throw new WalletError('ERR_WALLET_STORAGE', "the remote secure area's device key is missing");
    return new RemoteSecureAreaSession(binding, key, this.#fetch);
  }

  /** Makes `count` new P-256 device keys in the storage (for a batch of MSOs); only public halves leave. */
  generateDeviceKeys(count: number): Promise<NewDeviceKey[]> {
    return generateDeviceKeys(this.#storage, count);
  }

  /** Forgets device keys that will not get an MSO (a refill that failed). */
  forgetDeviceKeys(ids: readonly string[]): Promise<void> {
    return this.#storage.removeDeviceKeys(ids);
  }

  /** The pending keys' signers, for the certification requests and the attestation of provisioning. */
  async pendingKeys(): Promise<{
    publicKeys: PhonePublicKeys;
    authentication: Signer;
    signing: Signer;
    cardFace: Pick<CardPrivateKey, 'signPkcs1'>;
    device: EcPrivateKey;
    /** The batch's other device keys, in the order of `publicKeys.batchDeviceKeys`. */
    batchDevices: EcPrivateKey[];
  }> {
    const pending = await readPending(this.#storage);
    const device = await this.#storage.deviceKey(pending.deviceKeyId);
    if (!device) throw new WalletError('ERR_WALLET_STORAGE', 'the pending device key is missing');
    let keys: Record<'authentication' | 'signing' | 'cardFace', Pick<CardPrivateKey, 'signPkcs1'>>;
    if (pending.remote) {
      const session = await this.#remoteSession(pending.remote);
      const remoteKey = (name: 'authentication' | 'signing' | 'cardFace') => ({
        signPkcs1: (digestInfo: Uint8Array) => remotePendingSign(session, name, digestInfo),
      });
      keys = {
        authentication: remoteKey('authentication'),
        signing: remoteKey('signing'),
        cardFace: remoteKey('cardFace'),
      };
    } else {
      const jwks = await readPendingKeys(this.#storage, pending);
      keys = {
        authentication: this.#cardKey(jwks.authentication),
        signing: this.#cardKey(jwks.signing),
        cardFace: this.#cardKey(jwks.cardFace),
      };
    }
    return {
      publicKeys: pending.publicKeys,
      authentication: cardKeySigner(keys.authentication, pending.publicKeys.authenticationKey),
      signing: cardKeySigner(keys.signing, pending.publicKeys.signingKey),
      cardFace: keys.cardFace,
      device,
      batchDevices: await Promise.all(
        (pending.batchDeviceKeyIds ?? []).map(async (id) => {
          const key = await this.#storage.deviceKey(id);
          if (!key) throw new WalletError('ERR_WALLET_STORAGE', 'a pending device key is missing');
          return key;
        }),
      ),
    };
  }

  /**
   * Installs the issuer's bundle over the pending keys, once it is checked to be for them: both
   * certificates hold the phone's JPKI keys, the 券面 records its 券面 key, the mdoc its device key, and
   * the 入力補助 4 info are those of the signing certificate. Then the pending keys become the phone's.
   */
  async install(value: unknown, pins: PhonePins, now: Date): Promise<PhoneBundle> {
    assertPhonePins(pins);
    if (await this.#storage.read(CREDENTIAL))
      throw new WalletError('ERR_WALLET_STATE', 'this phone already holds a card; reset the wallet first');
    const bundle = parsePhoneBundle(value);
    const pending = await readPending(this.#storage);
    assertBundleMatches(bundle, pending.publicKeys);
    const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));
    let secrets: CredentialSecrets;
    let tokenSerial = Array.from(random(8), (byte) => byte.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
    if (pending.remote) {
      // The secure area checks the bundle against what the issuer recorded and makes the reference
      // data and the counters; the phone keeps the bundle for its displays.
      const { phoneId, jpki, kenhojo, kenkaku, juki, municipalityCode, cardExpiry } = bundle;
      const session = await this.#remoteSession(pending.remote);
      const installed = await session.send<{ tokenSerial: string }>({
        op: 'install',
        bundle: { phoneId, jpki, kenhojo, kenkaku, juki, municipalityCode, cardExpiry },
        pins: { ...pins },
      });
      tokenSerial = installed.tokenSerial;
      secrets = { bundle };
    } else {
      const keys = await readPendingKeys(this.#storage, pending);
      secrets = { bundle, keys, pins: encodeStoredPins(phoneReferenceData(bundle, pins, random)) };
    }
    const record: CredentialRecord = {
      format: 'openmyna-wallet-credential/1',
      phoneId: bundle.phoneId,
      deviceKeyId: pending.deviceKeyId,
      tokenSerial,
      installedAt: now.toISOString(),
      sealed: await sealCredential(this.#storage, secrets, bundle.phoneId),
      ...(pending.remote ? { remote: pending.remote } : {}),
    };
    await this.mdocs.install(
      [bundle.mdoc, ...(bundle.batchMdocs ?? [])].map((mdoc, position) => ({
        mdoc,
        deviceKeyId: position === 0 ? pending.deviceKeyId : pending.batchDeviceKeyIds![position - 1]!,
      })),
    );
    await this.#storage.write(CREDENTIAL, record);
    await this.#storage.remove(PENDING);
    return bundle;
  }

  /** Shows `mdoc` (a newer MSO of a refilled batch) on the home screen in place of the one provisioned. */
  async replaceDisplayedMdoc(mdoc: string): Promise<void> {
    const { record, secrets } = await readCredential(this.#storage);
    const next = { ...secrets, bundle: { ...secrets.bundle, mdoc } };
    await rewriteCredential(this.#storage, record, next);
  }

  /** Whether a card is installed, and its phone id. */
  async installedPhoneId(): Promise<string | undefined> {
    const record = (await this.#storage.read(CREDENTIAL)) as CredentialRecord | undefined;
    return record?.phoneId;
  }

  /** The installed bundle (certificates and signed records; for the wallet's own displays and checks). */
  async bundle(): Promise<PhoneBundle> {
    const { secrets } = await readCredential(this.#storage);
    return secrets.bundle;
  }

  /**
   * The phone's applets as one long-lived card (for PC software through vpcd, `openmyna phone serve`):
   * it keeps its security state between commands as a card does until it is reset. Counters and
   * changed reference data are saved as they change.
   */
  async openCard(): Promise<{
    card: Pick<SmartCard, 'atr' | 'transmit' | 'reset'>;
    counters: ReadonlyMap<string, RetryCounter>;
    bundle: PhoneBundle;
    remote: boolean;
  }> {
    const { record, secrets } = await readCredential(this.#storage);
    if (record.remote) {
      const card = new RemoteCard(await this.#remoteSession(record.remote));
      return { card, counters: new Map(), bundle: secrets.bundle, remote: true };
    }
    if (!secrets.keys || !secrets.pins)
      throw new WalletError('ERR_WALLET_STORAGE', 'the stored credential holds no keys');
    let saved = secrets;
    const { card, counters } = openPhoneCard({
      contents: secrets.bundle,
      keys: {
        authentication: this.#cardKey(secrets.keys.authentication),
        ...(secrets.bundle.jpki.signingCertificate ? { signing: this.#cardKey(secrets.keys.signing) } : {}),
        cardFace: this.#cardKey(secrets.keys.cardFace),
      },
      pins: decodeStoredPins(secrets.pins),
      store: storageRetryCounters(this.#storage),
      tokenSerial: record.tokenSerial,
      onPinsChanged: async (pins) => {
        saved = { ...saved, pins: encodeStoredPins(pins) };
        await rewriteCredential(this.#storage, record, saved);
      },
    });
    return { card, counters, bundle: secrets.bundle, remote: false };
  }

  /**
   * Opens the phone's applets for one operation. The security state (which PINs were verified) lives
   * only as long as `operation`.
   */
  async withCard<T>(operation: (card: OpenedCard) => Promise<T>): Promise<T> {
    const { card, counters, bundle, remote } = await this.openCard();
    const transport: CardTransport = { transmit: (command) => card.transmit(command) };
    // A remote session ends with the operation, and the PIN verified in it with it.
    if (card instanceof RemoteCard)
      return this.#run(operation, { transport, remote, counters, bundle }).finally(() => card.end());
    return this.#run(operation, { transport, remote, counters, bundle });
  }

  #run<T>(
    operation: (card: OpenedCard) => Promise<T>,
    opened: Pick<OpenedCard, 'transport' | 'remote' | 'counters' | 'bundle'>,
  ): Promise<T> {
    const { transport, remote, counters, bundle } = opened;
    return operation({
      transport,
      remote,
      jpki: new JpkiReader(transport),
      kenhojo: new KenhojoReader(transport),
      kenkaku: new KenkakuReader(transport),
      counters,
      bundle,
    });
  }

  /**
   * Resets the PINs the issuer's authorization names to the holder's new values and restores their
   * tries: the authorization is checked (by the phone against the authority it pinned, or by the
   * remote secure area against the issuer's own) before anything changes. Returns the references reset.
   */
  async resetPins(request: PinResetRequest): Promise<readonly string[]> {
    const { record, secrets } = await readCredential(this.#storage);
    if (record.remote) {
      const session = await this.#remoteSession(record.remote);
      const { reset } = await session.send<{ reset: string[] }>({
        op: 'reset-pins',
        authorization: request.authorization,
        phoneNonce: request.phoneNonce,
        pins: { ...request.pins },
      });
      return reset;
    }
    const { counters, bundle } = await this.openCard();
    const newPins = Object.fromEntries(
      Object.entries(request.pins).map(([reference, value]) => [
        reference,
        protectPin(utf8(value), crypto.getRandomValues(new Uint8Array(16))),
      ]),
    );
    const reset = await resetPinsWithIssuerAuthorization({
      token: request.authorization,
      authority: bundle.pinResetAuthority.publicJwk,
      phoneId: record.phoneId,
      nonce: request.phoneNonce,
      now: request.now,
      counters,
      newPins,
    });
    const replaced = Object.fromEntries(reset.map((reference) => [reference, newPins[reference]!]));
    const next = { ...secrets, pins: { ...secrets.pins, ...encodeStoredPins(replaced) } };
    await rewriteCredential(this.#storage, record, next);
    return reset;
  }

  /**
   * Forgets the card, the keys and the counters (the log stays). A remote secure area is asked first to
   * destroy the phone's keys there; the phone is wiped either way, and if the service could not do it
   * (unreachable, say) this throws `ERR_NETWORK` afterwards: the keys stay there, usable by a copy of
   * this phone's files, until the holder revokes the phone with the card.
   */
  async wipe(): Promise<void> {
    const record = (await this.#storage.read(CREDENTIAL)) as CredentialRecord | undefined;
    const pending = (await this.#storage.read(PENDING)) as PendingRecord | undefined;
    const binding = record?.remote ?? pending?.remote;
    let remoteFailure: unknown;
    if (binding) {
      try {
        await (await this.#remoteSession(binding)).send({ op: 'wipe' });
      } catch (error) {
        const gone =
          (error instanceof WalletError && error.code === 'ERR_PHONE_REVOKED') ||
          (error instanceof WalletError && error.serverCode === 'ERR_SECURE_AREA_UNKNOWN');
        if (!gone) remoteFailure = error;
      }
    }
    await this.#storage.wipe();
    if (remoteFailure !== undefined)
      throw new WalletError(
        'ERR_NETWORK',
        "the phone was wiped, but the issuer's secure area could not destroy its keys there; revoke the phone with the card",
        { cause: remoteFailure },
      );
  }

  /** Whether the installed card's applets run in a remote secure area. */
  async remote(): Promise<boolean> {
    const record = (await this.#storage.read(CREDENTIAL)) as CredentialRecord | undefined;
    return record?.remote !== undefined;
  }
}
