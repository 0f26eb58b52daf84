import type { Command } from 'commander';

import type { CliIo, SetExitCode } from '../io.js';
import { registerMdocIssueCommand } from './mdoc/issue.js';
import { registerMdocPresentCommand } from './mdoc/present.js';
import { registerMdocVerifyCommand } from './mdoc/verify.js';

/** `openmyna mdoc …` */
export function registerMdocCommands(program: Command, io: CliIo, setExitCode: SetExitCode): void {
  const mdoc = program
    .command('mdoc')
    .description('the card face as an ISO/IEC 18013-5 mdoc (org.iso.23220.1.jp.mnc): issue, present, verify');
  registerMdocIssueCommand(mdoc, io, setExitCode);
  registerMdocPresentCommand(mdoc, io, setExitCode);
  registerMdocVerifyCommand(mdoc, io, setExitCode);
}
