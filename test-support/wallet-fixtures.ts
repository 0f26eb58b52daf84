import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { inProcessTransport, MemoryRetryCounterStore, openVirtualCard, type PhonePins } from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import {
  createDeviceRequest,
  JP_NAMESPACE,
  MdocReaderSession,
  MNC_DOCTYPE,
  verifyDeviceResponse,
} from '@openmyna/mdoc';
import { nodeMdocCrypto, nodeRelayTransport } from '@openmyna/mdoc/node';
import type { Engine } from '@openmyna/storage';
import { Wallet, type WalletOptions } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import { WebSocket } from 'ws';

import { allCardFaceElements, makeReader } from './mdoc-fixtures.js';
import { issuerWithCards, type IssuedTestCard } from './verifier-fixtures.js';
import { listenOnFreePort, startVerifierService } from './verifier-service.js';

/** The phone PINs the wallet tests choose (the card's are 1234 and OPENMYNA1). */
export const PHONE_PINS: PhonePins = { authentication: '4321', signing: 'PHONE2026', kenhojo: '5678', juki: '8765' };
export const CARD_PINS = { authentication: '1234', signing: 'OPENMYNA1' } as const;

/**
 * Everything a wallet talks to, over real HTTP on this machine: the issuer (persons `indexes` of
 * population `seed` registered, their cards issued, no phone yet) and the verifier service with its
 * relay and the two demo relying parties. The credentials name OCSP and CRL URLs on
 * http://127.0.0.1/ (port 80); `walletFetch` routes those to the issuer in process and everything else
 * over the network.
 */
export async function walletWorld(
  seed: string,
  indexes: readonly number[],
  options: {
    engine?: Engine;
    rateLimit?: { perSecond: number; capacity: number };
    verifierPublicUrl?: string;
  } = {},
) {
  const issuer = await issuerWithCards(seed, indexes);
  const issuerHttp = await listenOnFreePort((request, env) => issuer.app.fetch(request, env));
  const verifier = await startVerifierService(issuer, options.engine ?? 'sqlite', {
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.verifierPublicUrl ? { publicUrl: options.verifierPublicUrl } : {}),
  });
  const walletFetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname === '127.0.0.1' && url.port === '') return issuer.issuerFetch(url.toString(), init);
    return fetch(input, init);
  }) as typeof fetch;
  return {
    issuer,
    issuerUrl: issuerHttp.base,
    verifier,
    walletFetch,
    readerAnchor: issuer.authorities.mdoc.readerCa.anchor,
    dispose: async () => {
      await new Promise((resolve) => issuerHttp.server.close(resolve));
      await verifier.dispose();
      await issuer.dispose();
    },
  };
}

/** A Node wallet on an encrypted phone file in a fresh directory. */
export async function nodeWallet(
  world: WalletWorld,
  path = join(mkdtempSync(join(tmpdir(), 'openmyna-phone-')), 'phone.json'),
  passphrase = 'phone file passphrase',
  /** Options over the defaults (e.g. `mdocs`, or a `fetch` that watches what is sent). */
  overrides: Partial<WalletOptions> = {},
) {
  const storage = await openEncryptedFileWalletStorage({
    path,
    passphrase,
    iterations: 10_000,
    crypto: nodeMdocCrypto,
  });
  const wallet = new Wallet({
    storage,
    readerAnchors: [world.readerAnchor],
    issuerUrl: world.issuerUrl,
    fetch: world.walletFetch,
    clock: () => new Date(),
    crypto: nodeMdocCrypto,
    cardKey: nodeCardKey,
    createSocket: (url) => new WebSocket(url) as never,
    ...overrides,
  });
  return { wallet, storage, path, passphrase };
}

/** A {@link walletWorld}: issuer, verifier and cards. */
export type WalletWorld = Awaited<ReturnType<typeof walletWorld>>;

/** A Node wallet with the card of `world.issuer.cards[index]` added (card PINs 1234 / OPENMYNA1, phone PINs {@link PHONE_PINS}). */
export async function provisionedNodeWallet(world: WalletWorld, index = 0) {
  const phone = await nodeWallet(world);
  await phone.wallet.provision({
    card: await cardTransport(world.issuer.cards[index]!),
    cardPins: CARD_PINS,
    phonePins: PHONE_PINS,
  });
  return phone;
}

/** The physical card as a reader reaches it (in process; counters in memory, as a card's own chip). */
export async function cardTransport(card: IssuedTestCard) {
  const smartCard = await openVirtualCard({
    document: card.document,
    passphrase: card.passphrase,
    store: () => new MemoryRetryCounterStore(),
  });
  return inProcessTransport(smartCard);
}

/**
 * The counter's side of an in-person presentation: engage from the wallet's QR (`mdoc:…`), connect to
 * the relay it names, ask for `elements` of the JP namespace — with reader authentication by a reader
 * certificate from the world's reader CA when `reader` is given — and, once the wallet answered, verify
 * the response and return the released JP elements.
 */
export async function counterAsks(
  world: WalletWorld,
  qr: string,
  options: {
    readonly elements: readonly string[];
    readonly reader?: { readonly name: string; readonly myNumber: boolean };
    /** The CA to trust when the relay is reached over TLS. */
    readonly ca?: string;
  },
) {
  const session = await MdocReaderSession.fromEngagement({ engagement: qr, crypto: nodeMdocCrypto });
  const relay = session.engagement.relay!;
  const channel = await nodeRelayTransport(`${relay.url}/${relay.session}`, options.ca ? { ca: options.ca } : {});
  const hierarchy = { ...world.issuer.authorities.mdoc, crypto: nodeMdocCrypto };
  const authorized = allCardFaceElements().filter(
    (element) => options.reader?.myNumber || element.elementIdentifier !== 'individual_number_unicode',
  );
  await session.sendRequest(
    channel,
    await createDeviceRequest({
      docRequests: [
        {
          docType: MNC_DOCTYPE,
          nameSpaces: new Map([[JP_NAMESPACE, new Map(options.elements.map((element) => [element, false]))]]),
        },
      ],
      sessionTranscript: session.transcript,
      ...(options.reader ? { reader: await makeReader(hierarchy, options.reader.name, authorized) } : {}),
    }),
  );
  let received: Uint8Array | undefined;
  return {
    relay,
    /** The DeviceResponse as it arrived (after {@link receive}): what a colluding reader would keep. */
    response: () => received,
    /** The wallet's answer, verified: the released JP elements. */
    async receive(): Promise<ReadonlyMap<string, unknown>> {
      try {
        received = await session.receiveResponse(channel);
        const verified = await verifyDeviceResponse({
          response: received,
          sessionTranscript: session.transcript,
          issuerAnchors: [world.issuer.authorities.mdoc.iaca.anchor],
          time: new Date(),
          crypto: nodeMdocCrypto,
          docType: MNC_DOCTYPE,
        });
        return verified.documents[0]?.elements.get(JP_NAMESPACE) ?? new Map();
      } finally {
        await channel.close();
      }
    },
  };
}

/**
 * An account opening at the world's securities firm — the document signed, the 個人番号 and 基本4情報
 * from 入力補助 — answered by `wallet` with the phone PINs; returns the relying party's view of it.
 */
export async function answerAccountOpening(world: WalletWorld, wallet: Wallet) {
  const created = await world.verifier.rp('securities', '/v1/presentations', {
    method: 'POST',
    body: JSON.stringify({
      sign: { document: Buffer.from('口座開設申込書').toString('base64'), title: '申込書' },
      kenhojo: ['my_number', 'basic_four_info'],
      purpose: '証券口座の開設',
    }),
  });
  const { id, link } = (await created.json()) as { id: string; link: string };
  const answered = await wallet
    .approve(await wallet.openRequest(link), { signingPassword: PHONE_PINS.signing, kenhojoPin: PHONE_PINS.kenhojo })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  const result = (await (await world.verifier.rp('securities', `/v1/presentations/${id}`)).json()) as {
    result?: { status: string };
    claims?: Record<string, Record<string, unknown>>;
  };
  return { answered, result };
}
