import { resolve } from 'node:path';

import { openPcscCard } from '@openmyna/card/node';
import type { Wallet } from '@openmyna/wallet';
import { Option, type Command } from 'commander';

import { EXIT, fail, type CliIo, type SetExitCode } from '../../io.js';
import { DEMO_PINS, openCardFile } from '../card.js';
import { DEMO_PHONE_PINS, openPhone, phoneCommand, type PhoneFlags } from './phone-file.js';

interface ProvisionFlags extends PhoneFlags {
  card?: string;
  pcsc?: string | boolean;
  cardAuthPin: string;
  cardSigningPassword: string;
  authPin: string;
  signingPassword: string;
  kenhojoPin: string;
  jukiPin: string;
  secureArea: 'local' | 'remote' | 'auto';
}

/** `openmyna phone provision` */
export function registerProvisionCommand(phone: Command, io: CliIo, setExitCode: SetExitCode): void {
  phoneCommand(phone, 'provision')
    .description(
      'add a card to a new phone file: the card proves itself (PIN, signing password), the issuer issues the phone its own credentials',
    )
    .option('--card <file>', 'the card file (openmyna card issue, or <data>/cards/*.json)')
    .option('--pcsc [reader]', 'read the card in a PC/SC reader instead (a physical card, or one served through vpcd)')
    .option('--card-auth-pin <digits>', "the card's 利用者証明用暗証番号", DEMO_PINS.authentication)
    .option('--card-signing-password <text>', "the card's 署名用パスワード", DEMO_PINS.signing)
    .option('--auth-pin <digits>', "the phone's new 利用者証明用暗証番号", DEMO_PHONE_PINS.authentication)
    .option('--signing-password <text>', "the phone's new 署名用パスワード", DEMO_PHONE_PINS.signing)
    .option('--kenhojo-pin <digits>', "the phone's new 券面事項入力補助用暗証番号", DEMO_PHONE_PINS.kenhojo)
    .option('--juki-pin <digits>', "the phone's new 住民基本台帳用暗証番号", DEMO_PHONE_PINS.juki)
    .addOption(
      new Option(
        '--secure-area <where>',
        "where the phone's JPKI and 券面 keys, PIN data and retry counters live: in the phone file, in the issuer's remote secure area, or there when the issuer offers one",
      )
        .choices(['local', 'remote', 'auto'])
        .default('local'),
    )
    .action(async (flags: ProvisionFlags) => {
      if ((flags.card === undefined) === (flags.pcsc === undefined))
        return fail(io, setExitCode, 'give the card as --card <file> or --pcsc [reader], one of them', EXIT.usage);
      const wallet = await openPhone(io, flags, true, flags.secureArea);
      const holder = await provisionFromCard(io, wallet, flags);
      const where = (await wallet.secureArea.remote()) ? " (keys and PIN counters in the issuer's secure area)" : '';
      io.stdout.write(`Added the card of ${holder.name} to ${flags.phone} (phone ${holder.phoneId})${where}.\n`);
    });
}

/** The card (a file, or one in a PC/SC reader) proves itself, and the issuer provisions the phone. */
async function provisionFromCard(io: CliIo, wallet: Wallet, flags: ProvisionFlags) {
  const pcsc =
    flags.pcsc === undefined
      ? undefined
      : await openPcscCard(typeof flags.pcsc === 'string' ? { readerName: flags.pcsc } : {});
  const card = flags.card ? await openCardFile(resolve(io.cwd, flags.card), resolve(io.cwd, flags.data)) : undefined;
  return wallet
    .provision({
      card: pcsc ?? { transmit: (command) => card!.transmit(command) },
      cardPins: { authentication: flags.cardAuthPin, signing: flags.cardSigningPassword },
      phonePins: {
        authentication: flags.authPin,
        signing: flags.signingPassword,
        kenhojo: flags.kenhojoPin,
        juki: flags.jukiPin,
      },
      onProgress: (step) => io.stderr.write(`  ${step}…\n`),
    })
    .finally(() => pcsc?.close());
}
