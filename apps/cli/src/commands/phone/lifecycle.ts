import { resolve } from 'node:path';

import type { Command } from 'commander';

import { EXIT, type CliIo, type SetExitCode } from '../../io.js';
import { DEMO_PINS, openCardFile } from '../card.js';
import { openPhone, phoneCommand, type PhoneFlags } from './phone-file.js';

/** `openmyna phone status`, `lifecycle` and `reset-pins`: the phone's standing at the issuer. */
export function registerLifecycleCommands(phone: Command, io: CliIo, setExitCode: SetExitCode): void {
  registerStatusCommand(phone, io, setExitCode);
  registerChangeLifecycleCommand(phone, io, setExitCode);
  registerResetPinsCommand(phone, io);
}

function registerStatusCommand(phone: Command, io: CliIo, setExitCode: SetExitCode): void {
  phoneCommand(phone, 'status')
    .description(
      "the phone's card and its certificates' status at the issuer (OCSP, else CRL); a revoked phone wipes itself",
    )
    .action(async (flags: PhoneFlags) => {
      const wallet = await openPhone(io, flags);
      if (!(await wallet.provisioned())) {
        io.stdout.write('This phone holds no card.\n');
        return;
      }
      const holder = await wallet.holder();
      const status = await wallet.checkStatus();
      io.stdout.write(`${holder.name} (phone ${holder.phoneId}), card valid until ${holder.cardExpiry}: ${status}\n`);
      if (status !== 'good') setExitCode(status === 'unknown' ? EXIT.statusUnknown : EXIT.invalid);
    });
}

function registerChangeLifecycleCommand(phone: Command, io: CliIo, setExitCode: SetExitCode): void {
  phoneCommand(phone, 'lifecycle')
    .description(
      "suspend or revoke this phone's certificates at the issuer (利用者証明用暗証番号); revoking wipes the phone",
    )
    .requiredOption('--action <action>', 'suspend or revoke')
    .requiredOption('--auth-pin <digits>', '利用者証明用暗証番号')
    .action(async (flags: PhoneFlags & { action: string; authPin: string }) => {
      if (flags.action !== 'suspend' && flags.action !== 'revoke') {
        io.stderr.write('openmyna: --action is suspend or revoke\n');
        setExitCode(EXIT.usage);
        return;
      }
      const wallet = await openPhone(io, flags);
      await wallet.changeLifecycle(flags.action, flags.authPin);
      io.stdout.write(flags.action === 'revoke' ? 'Revoked; the phone was wiped.\n' : 'Suspended.\n');
    });
}

function registerResetPinsCommand(phone: Command, io: CliIo): void {
  phoneCommand(phone, 'reset-pins')
    .description(
      'reset blocked or forgotten phone PINs with the card (its signing password): the issuer authorizes, the phone checks and resets',
    )
    .requiredOption('--card <file>', 'the card file')
    .option('--card-signing-password <text>', "the card's 署名用パスワード", DEMO_PINS.signing)
    .option('--auth-pin <digits>', 'new 利用者証明用暗証番号')
    .option('--signing-password <text>', 'new 署名用パスワード')
    .option('--kenhojo-pin <digits>', 'new 券面事項入力補助用暗証番号')
    .option('--juki-pin <digits>', 'new 住民基本台帳用暗証番号')
    .action(
      async (
        flags: PhoneFlags & {
          card: string;
          cardSigningPassword: string;
          authPin?: string;
          signingPassword?: string;
          kenhojoPin?: string;
          jukiPin?: string;
        },
      ) => {
        const wallet = await openPhone(io, flags);
        const card = await openCardFile(resolve(io.cwd, flags.card), resolve(io.cwd, flags.data));
        await wallet.resetPins({
          card: { transmit: (command) => card.transmit(command) },
          cardSigningPassword: flags.cardSigningPassword,
          pins: {
            ...(flags.authPin ? { authenticationPin: flags.authPin } : {}),
            ...(flags.signingPassword ? { signingPassword: flags.signingPassword } : {}),
            ...(flags.kenhojoPin ? { kenhojoPin: flags.kenhojoPin } : {}),
            ...(flags.jukiPin ? { jukiPin: flags.jukiPin } : {}),
          },
        });
        io.stdout.write('Reset; the new PINs are in force.\n');
      },
    );
}
