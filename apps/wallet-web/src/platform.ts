import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { CardTransport } from '@openmyna/card';
import { base64Decode, base64UrlDecode, base64UrlEncode } from '@openmyna/core';
import { mdocTrustAnchor } from '@openmyna/mdoc';
import { openIndexedDbWalletStorage, Wallet, WalletError } from '@openmyna/wallet';

/** What the host (the sandbox) tells the web wallet: whom to trust and where the services are. */
export interface WalletConfig {
  readonly issuerUrl: string;
  /** The reader CA (DER, base64) whose relying parties the wallet trusts. */
  readonly readerCa: string;
  /** The verifier's in-person relay (`ws://…/relay`). */
  readonly relayUrl: string;
}

/** A card the sandbox's card reader can reach. */
export interface DemoCard {
  readonly id: string;
  readonly name: string;
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export async function loadConfig(): Promise<WalletConfig> {
  return json<WalletConfig>(await fetch('./api/config'));
}

/** Opens the wallet over this browser's IndexedDB. */
export async function openWallet(config: WalletConfig): Promise<Wallet> {
  return new Wallet({
    storage: await openIndexedDbWalletStorage(),
    readerAnchors: [mdocTrustAnchor(base64Decode(config.readerCa))],
    issuerUrl: config.issuerUrl,
    clock: () => new Date(),
    // Keys, PIN data and counters in the issuer's remote secure area when it offers one: a browser
    // profile is a file its owner can delete or restore (docs/wallet.md, threat model).
    secureArea: 'auto',
  });
}

export async function listDemoCards(): Promise<DemoCard[]> {
  return json<DemoCard[]>(await fetch('./api/demo-cards'));
}

/**
 * The physical card through the sandbox's card reader: each APDU travels to the reader, as over NFC
 * to a real card. The PINs go to the card in VERIFY commands and nowhere else.
 */
export async function connectDemoCard(id: string): Promise<CardTransport> {
  const { sessionId } = await json<{ sessionId: string }>(
    await fetch(`./api/demo-cards/${encodeURIComponent(id)}/sessions`, { method: 'POST' }),
  );
  return {
    async transmit(command) {
      const { response } = await json<{ response: string }>(
        await fetch(`./api/card-sessions/${encodeURIComponent(sessionId)}/apdu`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apdu: bytesToHex(command) }),
        }),
      );
      return hexToBytes(response);
    },
  };
}

/** What the platform authenticator answered: its credential and its PRF output for the salt asked. */
export interface PlatformKeyOutput {
  /** base64url of the credential's raw id. */
  readonly credentialId: string;
  readonly prfOutput: Uint8Array;
}

const randomBytes = (length: number) => crypto.getRandomValues(new Uint8Array(length));
const buffer = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

/**
 * Whether this browser has a platform authenticator with user verification (biometrics, screen lock)
 * for this page: WebAuthn needs a secure context and a domain (an IP address is no relying party id,
 * WebAuthn §5.1.3), so the wallet opened as https://192.0.2.1 under `--lan` does not offer it.
 */
export async function platformAuthenticatorAvailable(): Promise<boolean> {
  if (typeof PublicKeyCredential === 'undefined' || !window.isSecureContext) return false;
  if (/^[\d.]+$|^\[/.test(window.location.hostname)) return false;
  return PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable().catch(() => false);
}

/**
 * Registers a platform credential with user verification required and the PRF extension (WebAuthn
 * Level 3 §10.1.4), then evaluates its PRF on `prfSalt`. The relying party id is this page's host
 * (localhost, or the LAN name under `--lan`). `ERR_PLATFORM_UNSUPPORTED` when the authenticator has no PRF.
 */
export async function registerPlatformKey(prfSalt: Uint8Array, userName: string): Promise<PlatformKeyOutput> {
  const credential = (await navigator.credentials.create({
    publicKey: {
      rp: { name: 'openmyna' },
      user: { id: randomBytes(16), name: userName, displayName: userName },
      challenge: randomBytes(32),
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      authenticatorSelection: {
        authenticatorAttachment: 'platform',
        residentKey: 'preferred',
        userVerification: 'required',
      },
      extensions: { prf: { eval: { first: buffer(prfSalt) } } },
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new WalletError('ERR_PLATFORM_VERIFICATION', 'no credential was made');
  const prf = credential.getClientExtensionResults().prf;
  if (!prf?.enabled) throw new WalletError('ERR_PLATFORM_UNSUPPORTED', 'the authenticator has no PRF extension');
  const credentialId = base64UrlEncode(new Uint8Array(credential.rawId));
  const first = prf.results?.first;
  if (first) return { credentialId, prfOutput: bytesOf(first) };
  // Some authenticators evaluate the PRF only on an assertion.
  return evaluatePlatformKey(credentialId, prfSalt);
}

/** One user-verified assertion of the credential, with its PRF output for `prfSalt`. */
export async function evaluatePlatformKey(credentialId: string, prfSalt: Uint8Array): Promise<PlatformKeyOutput> {
  const assertion = (await navigator.credentials.get({
    publicKey: {
      challenge: randomBytes(32),
      allowCredentials: [{ type: 'public-key', id: buffer(base64UrlDecode(credentialId)) }],
      userVerification: 'required',
      extensions: { prf: { eval: { first: buffer(prfSalt) } } },
    },
  })) as PublicKeyCredential | null;
  const first = assertion?.getClientExtensionResults().prf?.results?.first;
  if (!first) throw new WalletError('ERR_PLATFORM_VERIFICATION', 'the authenticator gave no PRF output');
  return { credentialId, prfOutput: bytesOf(first) };
}

function bytesOf(source: BufferSource): Uint8Array {
  return source instanceof ArrayBuffer
    ? new Uint8Array(source)
    : new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice();
}
