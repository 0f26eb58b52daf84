import { sha256 } from '@noble/hashes/sha2.js';
import {
  inProcessTransport,
  JpkiReader,
  MemoryRetryCounterStore,
  openVirtualCard,
  provisioningApplication,
  SoftwareCardKey,
  type ProvisioningCompletion,
  type VirtualCardDocument,
} from '@openmyna/card';
import { ecPublicJwk, type EcPrivateKey } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { createCertificationRequest, encodeDigestInfo, SoftwareSigner } from '@openmyna/pki';

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The phone's side of DESIGN.md flow 2, with the card read as a reader would. */
/** The phone's three RSA keys (JPKI authentication and signing, 券面). */
export interface PhoneRsaKeys {
  readonly authentication: SoftwareSigner;
  readonly signing: SoftwareSigner;
  readonly cardFace: Awaited<ReturnType<typeof SoftwareCardKey.generate>>;
}

export async function newPhoneRsaKeys(): Promise<PhoneRsaKeys> {
  return {
    authentication: await SoftwareSigner.generate(),
    signing: await SoftwareSigner.generate(),
    cardFace: await SoftwareCardKey.generate(),
  };
}

export async function phoneCompletes(
  card: VirtualCardDocument,
  passphrase: string,
  nonce: string,
  tweak: {
    applicationNonce?: string;
    authNonce?: string;
    swapSigningRequest?: boolean;
    keys?: PhoneRsaKeys;
    device?: EcPrivateKey;
    /** The other device keys of an MSO batch. */
    batch?: readonly EcPrivateKey[];
  } = {},
): Promise<ProvisioningCompletion> {
  const smartCard = await openVirtualCard({ document: card, passphrase, store: () => new MemoryRetryCounterStore() });
  const jpki = new JpkiReader(inProcessTransport(smartCard));
  await jpki.select();
  await jpki.verifyPin('authentication', '1234');
  const cardAuthenticationSignature = await jpki.sign(
    'authentication',
    encodeDigestInfo('SHA-256', sha256(utf8(tweak.authNonce ?? nonce))),
  );
  const { authentication, signing, cardFace } = tweak.keys ?? (await newPhoneRsaKeys());
  const device = tweak.device ?? (await nodeMdocCrypto.generateEcKey());
  const application = provisioningApplication(tweak.applicationNonce ?? nonce, {
    authenticationKey: b64(authentication.publicKeyInfo),
    signingKey: b64(signing.publicKeyInfo),
    cardFaceKey: b64(cardFace.publicKeyInfo),
    deviceKey: ecPublicJwk(device.publicKey),
    ...(tweak.batch?.length ? { batchDeviceKeys: tweak.batch.map((key) => ecPublicJwk(key.publicKey)) } : {}),
  });
  await jpki.verifyPin('signing', 'OPENMYNA1');
  const applicationSignature = await jpki.sign('signing', encodeDigestInfo('SHA-256', sha256(application)));
  const other = tweak.swapSigningRequest ? await SoftwareSigner.generate() : signing;
  return {
    cardAuthenticationCertificate: b64(await jpki.readCertificate('authentication')),
    cardAuthenticationSignature: b64(cardAuthenticationSignature),
    cardSigningCertificate: b64(await jpki.readCertificate('signing')),
    application: b64(application),
    applicationSignature: b64(applicationSignature),
    phoneAttestation: {
      authenticationRequest: b64(await createCertificationRequest(authentication)),
      signingRequest: b64(await createCertificationRequest(tweak.swapSigningRequest ? other : signing)),
      cardFaceKeySignature: b64(await cardFace.key.signPkcs1(encodeDigestInfo('SHA-256', sha256(utf8(nonce))))),
      deviceKeySignature: b64(await device.signEs256(utf8(nonce))),
      ...(tweak.batch?.length
        ? {
            batchDeviceKeySignatures: await Promise.all(
              tweak.batch.map(async (key) => b64(await key.signEs256(utf8(nonce)))),
            ),
          }
        : {}),
    },
  };
}

/**
 * Signs `data` with one of a virtual card's JPKI keys as a reader does: PIN first (1234, or the
 * signing password OPENMYNA1), then the DigestInfo of SHA-256. Returns the card's certificate too.
 */
export async function cardSigns(
  card: VirtualCardDocument,
  passphrase: string,
  key: 'authentication' | 'signing',
  data: Uint8Array,
): Promise<{ certificate: string; signature: string }> {
  const smartCard = await openVirtualCard({ document: card, passphrase, store: () => new MemoryRetryCounterStore() });
  const jpki = new JpkiReader(inProcessTransport(smartCard));
  await jpki.select();
  await jpki.verifyPin(key, key === 'authentication' ? '1234' : 'OPENMYNA1');
  const signature = await jpki.sign(key, encodeDigestInfo('SHA-256', sha256(data)));
  return { certificate: b64(await jpki.readCertificate(key)), signature: b64(signature) };
}
