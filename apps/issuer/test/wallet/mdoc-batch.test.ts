import { decodeDeviceResponse, decodeMobileSecurityObject, ecPublicJwk, ISO_23220_NAMESPACE } from '@openmyna/mdoc';
import { newRelaySessionId, nodeMdocCrypto } from '@openmyna/mdoc/node';
import { MdocPool, Wallet } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import { describe, expect, it } from 'vitest';

import {
  cardTransport,
  CARD_PINS,
  counterAsks,
  nodeWallet,
  PHONE_PINS,
} from '../../../../test-support/wallet-fixtures.js';
import { suiteWalletWorld } from '../../../../test-support/wallet-world-suite.js';

const SEED = 'mdoc-batch';
const PERSONS = [3, 4] as const;

/** What a reader keeps of a DeviceResponse that could link it to another: the MSO's signature and device key. */
function linkable(response: Uint8Array) {
  const [document] = decodeDeviceResponse(response).documents;
  const issuerAuth = document!.issuerSigned.issuerAuth;
  const mso = decodeMobileSecurityObject(issuerAuth.payload);
  return {
    signature: Buffer.from(issuerAuth.proof).toString('hex'),
    deviceKey: JSON.stringify(ecPublicJwk(mso.deviceKey)),
    statusIndex: mso.status?.idx,
  };
}

describe('the wallet’s batch of single-use MSOs, against the issuer and the verifier service', () => {
  const world = suiteWalletWorld(SEED, PERSONS);

  const provisioned = async (index: number, overrides: Parameters<typeof nodeWallet>[3]) => {
    const phone = await nodeWallet(world(), undefined, undefined, overrides);
    await phone.wallet.provision({
      card: await cardTransport(world().issuer.cards[index]!),
      cardPins: CARD_PINS,
      phonePins: PHONE_PINS,
    });
    return phone;
  };
  const inPerson = async (wallet: Wallet, counter: string) => {
    const session = await wallet.startInPerson({ url: world().verifier.relayUrl, session: newRelaySessionId() });
    const waiting = session.waitForRequest();
    const reader = await counterAsks(world(), session.qr, {
      elements: ['full_name_unicode'],
      reader: { name: counter, myNumber: false },
    });
    await waiting;
    await session.approve(PHONE_PINS.kenhojo);
    const released = await reader.receive();
    expect(released.get('full_name_unicode')).toBeTypeOf('string');
    return reader.response()!;
  };
  const ageCheck = async (who: 'securities' | 'shop') => {
    const response = await world().verifier.rp(who, '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        elements: [{ nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' }],
        purpose: '年齢確認',
      }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; link: string };
  };
  const resultOf = async (who: 'securities' | 'shop', id: string) =>
    ((await (await world().verifier.rp(who, `/v1/presentations/${id}`)).json()) as { status: string }).status;
  const presentOnline = async (wallet: Wallet, who: 'securities' | 'shop') => {
    const created = await ageCheck(who);
    await wallet.approve(await wallet.openRequest(created.link), { kenhojoPin: PHONE_PINS.kenhojo });
    expect(await resultOf(who, created.id)).not.toBe('pending');
    return created;
  };

  it('shows two verifiers different MSOs: colluding, they cannot link the presentations by the MSO', async () => {
    // Watches the direct_post: by the time anything is sent, the MSO is marked used in the file on disk.
    const usedWhenSent: number[] = [];
    let path = '';
    const phone = await provisioned(0, {
      mdocs: { batchSize: 3, refillBelow: 0 },
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
        if (init?.method === 'POST' && new Headers(init.headers).get('content-type')?.includes('form-urlencoded')) {
          const reopened = await openEncryptedFileWalletStorage({
            path,
            passphrase: 'phone file passphrase',
            crypto: nodeMdocCrypto,
          });
          usedWhenSent.push((await new MdocPool(reopened).summary(new Date())).used);
        }
        return world().walletFetch(input, init);
      },
    });
    path = phone.path;
    expect(await phone.wallet.mdocStatus()).toMatchObject({ unused: 3, used: 0, expired: 0 });

    const first = linkable(await inPerson(phone.wallet, 'Counter A'));
    const second = linkable(await inPerson(phone.wallet, 'Counter B'));
    expect(first.signature).not.toBe(second.signature);
    expect(first.deviceKey).not.toBe(second.deviceKey);
    expect(first.statusIndex).not.toBe(second.statusIndex);

    await presentOnline(phone.wallet, 'shop');
    expect(usedWhenSent).toEqual([3]);
    expect(await phone.wallet.mdocStatus()).toMatchObject({ unused: 0, used: 3 });

    // None left: the wallet refills (no PIN) before it presents, and never shows a used MSO again.
    await presentOnline(phone.wallet, 'shop');
    expect(usedWhenSent).toEqual([3, 1]);
    expect(await phone.wallet.mdocStatus()).toMatchObject({ unused: 2, used: 1 });
    expect((await phone.wallet.history()).filter((entry) => entry.kind === 'mdoc-refill')).toMatchObject([
      { result: 'completed' },
    ]);

    // On demand, the whole batch is replaced: the earlier MSOs and their keys are retired.
    expect(await phone.wallet.refillMdocs()).toMatchObject({ unused: 3, used: 0 });
    const third = linkable(await inPerson(phone.wallet, 'Counter A'));
    expect([first.deviceKey, second.deviceKey]).not.toContain(third.deviceKey);
  });

  it('per relying party: shows a relying party its own MSO again, and another one a different MSO', async () => {
    const phone = await provisioned(1, { mdocs: { batchSize: 3, policy: 'per-relying-party', refillBelow: 0 } });
    await presentOnline(phone.wallet, 'shop');
    await presentOnline(phone.wallet, 'shop');
    expect(await phone.wallet.mdocStatus()).toMatchObject({ unused: 2, used: 1 });
    await presentOnline(phone.wallet, 'securities');
    await presentOnline(phone.wallet, 'shop');
    expect(await phone.wallet.mdocStatus()).toMatchObject({ unused: 1, used: 2 });

    // The same phone without an issuer to refill from, spending each MSO once: the last one, then a typed refusal.
    const offline = new Wallet({
      storage: phone.storage,
      readerAnchors: [world().readerAnchor],
      fetch: world().walletFetch,
      clock: () => new Date(),
      crypto: nodeMdocCrypto,
    });
    await presentOnline(offline, 'shop');
    const created = await ageCheck('shop');
    await expect(
      offline.approve(await offline.openRequest(created.link), { kenhojoPin: PHONE_PINS.kenhojo }),
    ).rejects.toMatchObject({ code: 'ERR_MDOC_EXHAUSTED' });
    // Nothing was sent.
    expect(await resultOf('shop', created.id)).toBe('pending');

    // A suspended phone gets no new batch.
    await phone.wallet.changeLifecycle('suspend', PHONE_PINS.authentication);
    await expect(phone.wallet.refillMdocs()).rejects.toMatchObject({
      code: 'ERR_ISSUER_REFUSED',
      serverCode: 'ERR_PHONE_STATE',
    });
  });
});
