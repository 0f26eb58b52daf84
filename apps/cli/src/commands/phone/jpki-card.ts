import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { VpcdBridge } from '@openmyna/card/node';
import type { Command } from 'commander';

import type { CliIo } from '../../io.js';
import { integerOption } from '../../options.js';
import { openPhone, phoneCommand, type PhoneFlags } from './phone-file.js';

/** `openmyna phone sign` and `openmyna phone serve`: the phone's JPKI-AP, to sign with or to offer over PC/SC. */
export function registerJpkiCardCommands(phone: Command, io: CliIo): void {
  phoneCommand(phone, 'sign')
    .description("sign a file with the phone's JPKI signing key: a detached CMS SignedData (DER)")
    .requiredOption('--in <file>', 'the document')
    .requiredOption('--out <file>', 'where to write the signature (.p7s)')
    .requiredOption('--signing-password <text>', '署名用パスワード')
    .action(async (flags: PhoneFlags & { in: string; out: string; signingPassword: string }) => {
      const wallet = await openPhone(io, flags);
      const content = new Uint8Array(await readFile(resolve(io.cwd, flags.in)));
      const signature = await wallet.signDocument(content, flags.signingPassword, flags.in);
      await writeFile(resolve(io.cwd, flags.out), signature);
      io.stdout.write(`Signed ${flags.in} (${content.length} bytes) → ${flags.out}\n`);
    });

  phoneCommand(phone, 'serve')
    .description(
      'offer the phone to PC/SC software through vsmartcard vpcd, as `card serve` does for a card (pcscd must run); Ctrl-C stops',
    )
    .option('--vpcd-port <port>', 'vpcd port', integerOption('--vpcd-port', 1, 65535), 35963)
    .action(async (flags: PhoneFlags & { vpcdPort: number }) => {
      const wallet = await openPhone(io, flags);
      const { card } = await wallet.secureArea.openCard();
      const bridge = await VpcdBridge.connect({ card, port: flags.vpcdPort });
      io.stdout.write(`The phone is in the vpcd reader on 127.0.0.1:${flags.vpcdPort} (Ctrl-C stops)\n`);
      const stop = () => void bridge.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await bridge.closed;
    });
}
