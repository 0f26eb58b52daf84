import type { Command } from 'commander';

import type { CliIo, SetExitCode } from '../io.js';
import { registerJpkiCardCommands } from './phone/jpki-card.js';
import { registerLifecycleCommands } from './phone/lifecycle.js';
import { registerPresentCommand } from './phone/present.js';
import { registerProvisionCommand } from './phone/provision.js';
import { registerRecordCommands } from './phone/records.js';

export { describeConsent } from './phone/consent.js';
export { DEMO_PHONE_PINS } from './phone/phone-file.js';

/** `openmyna phone …` */
export function registerPhoneCommands(program: Command, io: CliIo, setExitCode: SetExitCode): void {
  const phone = program
    .command('phone')
    .description('the CLI wallet: a phone file holding the card applications, provisioned from a card');
  registerProvisionCommand(phone, io, setExitCode);
  registerPresentCommand(phone, io, setExitCode);
  registerJpkiCardCommands(phone, io);
  registerLifecycleCommands(phone, io, setExitCode);
  registerRecordCommands(phone, io);
}
