import type { Command } from 'commander';

import type { CliIo, SetExitCode } from '../io.js';
import { registerCardDumpCommand } from './card/dump.js';
import { registerCardIssueCommand } from './card/issue.js';
import { registerCardServeCommand } from './card/serve.js';

export { DEMO_PINS, openCardFile } from './card/card-file.js';

/** `openmyna card …` */
export function registerCardCommands(program: Command, io: CliIo, setExitCode: SetExitCode): void {
  const card = program.command('card').description('virtual My Number Cards: issue, read, and offer to PC/SC software');
  registerCardIssueCommand(card, io, setExitCode);
  registerCardDumpCommand(card, io, setExitCode);
  registerCardServeCommand(card, io);
}
