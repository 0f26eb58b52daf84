import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import type { Approval } from '@openmyna/wallet';
import type { Command } from 'commander';

import { EXIT, readAll, type CliIo, type SetExitCode } from '../../io.js';
import { describeConsent } from './consent.js';
import { openPhone, phoneCommand, type PhoneFlags } from './phone-file.js';

/** `openmyna phone present` */
export function registerPresentCommand(phone: Command, io: CliIo, setExitCode: SetExitCode): void {
  phoneCommand(phone, 'present')
    .description(
      'answer a relying party’s OpenID4VP request (a link, or a file holding one): show who asks and what, then send or decline',
    )
    .requiredOption('--request <link-or-file>', 'openid4vp://… link, or a file containing it')
    .option('--yes', 'send without asking (non-interactive)')
    .option('--decline', 'decline: the relying party hears access_denied')
    .option('--signing-password <text>', '署名用パスワード, when a signature is asked for')
    .option('--auth-pin <digits>', '利用者証明用暗証番号, for a login')
    .option('--kenhojo-pin <digits>', '券面事項入力補助用暗証番号, for card data')
    .action(
      async (
        flags: PhoneFlags & {
          request: string;
          yes?: boolean;
          decline?: boolean;
          signingPassword?: string;
          authPin?: string;
          kenhojoPin?: string;
        },
      ) => {
        const wallet = await openPhone(io, flags);
        const link = /^[a-z][a-z0-9+.-]*:\/\//i.test(flags.request)
          ? flags.request
          : (await readFile(resolve(io.cwd, flags.request), 'utf8')).trim();
        const pending = await wallet.openRequest(link);
        io.stdout.write(describeConsent(pending.view));
        if (flags.decline) {
          await wallet.decline(pending);
          io.stdout.write('Declined; the relying party was told.\n');
          return;
        }
        let approved = flags.yes === true;
        if (!approved && io.interactive) {
          io.stderr.write('送信しますか (send)? [y/N] ');
          approved = /^y/i.test((await readLine(io)).trim());
        }
        if (!approved) {
          io.stderr.write('openmyna: not sent (pass --yes to send, or --decline to refuse)\n');
          setExitCode(EXIT.invalid);
          return;
        }
        const approval: Approval = {
          ...(flags.signingPassword ? { signingPassword: flags.signingPassword } : {}),
          ...(flags.authPin ? { authenticationPin: flags.authPin } : {}),
          ...(flags.kenhojoPin ? { kenhojoPin: flags.kenhojoPin } : {}),
        };
        const result = await wallet.approve(pending, approval);
        io.stdout.write(`Sent.${result.redirectUri ? ` Continue at ${result.redirectUri}` : ''}\n`);
      },
    );
}

async function readLine(io: CliIo): Promise<string> {
  return (await readAll(io.stdin)).split('\n')[0] ?? '';
}
