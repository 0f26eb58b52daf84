import {
  approvalFields,
  approvalOf,
  birthDatePins,
  errorCodeOf,
  keyFromPrfOutput,
  newPrfSalt,
  sealPins,
  type Wallet,
} from '@openmyna/wallet';
import { describe, expect, it } from 'vitest';

import { registryPerson } from '../../../../test-support/issuer-fixtures.js';
import { cardTransport, CARD_PINS, nodeWallet } from '../../../../test-support/wallet-fixtures.js';
import { suiteWalletWorld } from '../../../../test-support/wallet-world-suite.js';

const SEED = 'shared-pin';
// Persons of the seed old enough for a signing certificate.
const PERSONS = [1, 2] as const;
const SIGNING = 'PHONE2026';

/** A 4-digit PIN that is no form of the birth date and not the security code of `card`. */
function safePin(card: { birthDate: Parameters<typeof birthDatePins>[0]; securityCode: string }): string {
  const refused = birthDatePins(card.birthDate);
  return ['2580', '1357', '8642'].find((pin) => !refused.has(pin) && pin !== card.securityCode)!;
}

/**
 * One shared 4-digit PIN for the 利用者証明用 and 入力補助 applets, chosen at provisioning, in a local and a
 * remote secure area: a PIN the card face gives away is refused; the consent asks two fields at most;
 * each applet still counts its own tries, durably.
 */
describe('the shared 4-digit PIN', () => {
  const world = suiteWalletWorld(SEED, PERSONS);

  const accountOpening = async () => {
    const created = await world().verifier.rp('securities', '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        sign: { document: Buffer.from('口座開設申込書').toString('base64'), title: '申込書' },
        kenhojo: ['basic_four_info'],
        purpose: '証券口座の開設',
      }),
    });
    return ((await created.json()) as { link: string }).link;
  };
  const codeOf = (promise: Promise<unknown>) => promise.then(() => undefined, errorCodeOf);

  for (const [index, secureArea] of [
    [0, 'local'],
    [1, 'remote'],
  ] as const)
    it(`works with a ${secureArea} secure area`, async () => {
      const card = world().issuer.cards[index]!;
      const { birthDate } = registryPerson(SEED, PERSONS[index]).holder.basicFourInfo;
      const { securityCode } = card;
      const phone = await nodeWallet(world(), undefined, undefined, { secureArea });
      const provision = (wallet: Wallet, pin: string) =>
        cardTransport(card).then((transport) =>
          wallet.provision({
            card: transport,
            cardPins: CARD_PINS,
            phonePins: { authentication: pin, kenhojo: pin, signing: SIGNING, juki: pin },
            sharedPin: { securityCode },
          }),
        );
      const birthDay = String(birthDate.month).padStart(2, '0') + String(birthDate.day).padStart(2, '0');
      expect(await codeOf(provision(phone.wallet, birthDay))).toBe('ERR_PIN_WEAK');
      expect(await codeOf(provision(phone.wallet, securityCode))).toBe('ERR_PIN_WEAK');
      expect(await phone.wallet.provisioned()).toBe(false);

      const pin = safePin({ birthDate, securityCode });
      await provision(phone.wallet, pin);
      const settings = await phone.wallet.pinSettings();
      expect(settings).toEqual({ sharedPin: true });

      // The consent asks the signing password and the one PIN, which opens 入力補助.
      const pending = await phone.wallet.openRequest(await accountOpening());
      expect(approvalFields(pending.view.secrets, settings)).toEqual(['signingPassword', 'sharedPin']);
      await phone.wallet.approve(pending, approvalOf({ signingPassword: SIGNING, sharedPin: pin }));
      await phone.wallet.verifyPins(approvalOf({ sharedPin: pin }));

      // Each applet counts its own tries, and a reopened wallet still has them.
      const wrong = (wallet: Wallet, name: 'kenhojoPin' | 'authenticationPin') =>
        wallet.verifyPins({ [name]: '0000' }).then(
          () => undefined,
          (error: { code: string; triesLeft?: number }) => [error.code, error.triesLeft],
        );
      expect(await wrong(phone.wallet, 'kenhojoPin')).toEqual(['ERR_PIN_WRONG', 2]);
      const reopened = await nodeWallet(world(), phone.path, phone.passphrase, { secureArea });
      expect(await wrong(reopened.wallet, 'kenhojoPin')).toEqual(['ERR_PIN_WRONG', 1]);
      expect(await wrong(reopened.wallet, 'authenticationPin')).toEqual(['ERR_PIN_WRONG', 2]);
      await reopened.wallet.verifyPins(approvalOf({ sharedPin: pin }));
      expect(await wrong(reopened.wallet, 'kenhojoPin')).toEqual(['ERR_PIN_WRONG', 2]);

      // Changing one of the two alone ends the sharing, and forgets PINs sealed for platform verification.
      const sealed = await sealPins(
        await keyFromPrfOutput(new Uint8Array(32).fill(1)),
        approvalOf({ sharedPin: pin }),
        {
          credentialId: 'credential',
          prfSalt: newPrfSalt(),
        },
      );
      await reopened.wallet.saveSealedPins(sealed);
      expect(await reopened.wallet.sealedPins()).toEqual(sealed);
      await reopened.wallet.changePin('kenhojoPin', pin, safePin({ birthDate, securityCode: pin }));
      expect(await reopened.wallet.pinSettings()).toEqual({ sharedPin: false });
      expect(await reopened.wallet.sealedPins()).toBeUndefined();
    }, 60_000);
});
