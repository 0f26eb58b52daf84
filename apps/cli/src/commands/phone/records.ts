import type { Command } from 'commander';

import type { CliIo } from '../../io.js';
import { openPhone, phoneCommand, type PhoneFlags } from './phone-file.js';

/** `openmyna phone mdocs` and `openmyna phone history`: what the phone holds and what it did. */
export function registerRecordCommands(phone: Command, io: CliIo): void {
  phoneCommand(phone, 'mdocs')
    .description(
      "the phone's single-use MSOs (unused, used, expired); --refill gets a fresh batch from the issuer (no PIN: a valid device key proves the phone)",
    )
    .option('--refill', 'refill now, retiring the earlier batch')
    .action(async (flags: PhoneFlags & { refill?: boolean }) => {
      const wallet = await openPhone(io, flags);
      if (!(await wallet.provisioned())) {
        io.stdout.write('This phone holds no card.\n');
        return;
      }
      const status = flags.refill ? await wallet.refillMdocs() : await wallet.mdocStatus();
      io.stdout.write(
        `${flags.refill ? 'Refilled. ' : ''}MSOs: ${status.unused} unused, ${status.used} used, ${status.expired} expired${status.validUntil ? `; valid until ${status.validUntil}` : ''}\n`,
      );
    });

  phoneCommand(phone, 'history')
    .description('the transaction log: every presentation, signature and login (items by name, never values)')
    .option('--json', 'export it as JSON (openmyna-wallet-log/1)')
    .action(async (flags: PhoneFlags & { json?: boolean }) => {
      const wallet = await openPhone(io, flags);
      if (flags.json) {
        io.stdout.write(`${await wallet.exportHistory()}\n`);
        return;
      }
      for (const entry of await wallet.history())
        io.stdout.write(
          `${entry.time}  ${entry.kind.padEnd(12)} ${entry.result.padEnd(9)} ${entry.counterparty?.name ?? ''}  ${entry.items.join(', ')}${entry.reason ? `  (${entry.reason})` : ''}\n`,
        );
    });
}
