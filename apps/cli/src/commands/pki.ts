import type { Command } from 'commander';

import type { CliIo, SetExitCode } from '../io.js';
import { registerCrlCommand } from './pki/crl.js';
import { registerInitCommand, registerIssueCommand } from './pki/issue.js';
import { registerOcspServeCommand } from './pki/ocsp-serve.js';
import { registerRevocationCommands } from './pki/revoke.js';
import { registerVerifyCmsCommand } from './pki/verify-cms.js';
import { registerVerifyCommand } from './pki/verify.js';

/** `openmyna pki …`: the JPKI certificate authorities, one file per subcommand group under `pki/`. */
export function registerPkiCommands(program: Command, io: CliIo, setExitCode: SetExitCode): void {
  const pki = program.command('pki').description('the JPKI certificate authorities: issue, revoke, CRL, OCSP, verify');
  registerInitCommand(pki, io, setExitCode);
  registerIssueCommand(pki, io);
  registerRevocationCommands(pki, io, setExitCode);
  registerCrlCommand(pki, io);
  registerOcspServeCommand(pki, io);
  registerVerifyCommand(pki, io, setExitCode);
  registerVerifyCmsCommand(pki, io, setExitCode);
}
