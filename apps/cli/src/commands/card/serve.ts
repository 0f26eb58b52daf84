import { resolve } from 'node:path';

import { VpcdBridge } from '@openmyna/card/node';
import type { Command } from 'commander';

import type { CliIo } from '../../io.js';
import { integerOption } from '../../options.js';
import { openCardFile } from './card-file.js';

/** `openmyna card serve` */
export function registerCardServeCommand(card: Command, io: CliIo): void {
  card
    .command('serve')
    .description('offer the card to PC/SC software through vsmartcard vpcd (pcscd must run); Ctrl-C stops')
    .requiredOption('--card <file>', 'card file')
    .option('--data <dir>', 'data directory (passphrase)', './.openmyna')
    .option('--vpcd-port <port>', 'vpcd port', integerOption('--vpcd-port', 1, 65535), 35963)
    .action(async (flags: { card: string; data: string; vpcdPort: number }) => {
      const smartCard = await openCardFile(resolve(io.cwd, flags.card), resolve(io.cwd, flags.data));
      const bridge = await VpcdBridge.connect({ card: smartCard, port: flags.vpcdPort });
      io.stdout.write(`The card is in the vpcd reader on 127.0.0.1:${flags.vpcdPort} (Ctrl-C stops)\n`);
      const stop = () => void bridge.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await bridge.closed;
    });
}
