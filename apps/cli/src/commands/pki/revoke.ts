import { findCertificate, resumeCertificates, revokeCertificates } from '@openmyna/issuer';
import type { CrlReasonName } from '@openmyna/pki';
import type { Command } from 'commander';

import { fail, type CliIo, type SetExitCode } from '../../io.js';
import { withIssuerRegistry } from '../../issuer-registry.js';
import { DATA_OPTION, DB_OPTION, dataDirOf, reasonOption } from './pki-options.js';

interface RevokeFlags {
  data: string;
  db?: string;
  serial: string;
  reason: CrlReasonName;
  why: string;
}

/** `openmyna pki revoke` and `openmyna pki resume`, through the issuer's registry. */
export function registerRevocationCommands(pki: Command, io: CliIo, setExitCode: SetExitCode): void {
  pki
    .command('revoke')
    .description('revoke a certificate, or suspend it (--reason certificateHold); `pki resume` lifts a suspension')
    .option(...DATA_OPTION)
    .option(...DB_OPTION)
    .requiredOption('--serial <hex>', 'serial number (hex)')
    .option('--reason <reason>', 'CRLReason', reasonOption, 'unspecified' as CrlReasonName)
    .option('--why <text>', 'the reason recorded in the audit log', 'revoked with openmyna pki revoke')
    .action(async (flags: RevokeFlags) => {
      await withIssuerRegistry(dataDirOf(io, flags), flags.db, async (context) => {
        const entry = await findCertificate(context, flags.serial);
        if (!entry || entry.status === 'prepared' || entry.status === 'abandoned')
          return fail(io, setExitCode, `no certificate with serial ${flags.serial} was issued here`);
        if (entry.status === 'revoked')
          return fail(io, setExitCode, 'the certificate is already revoked; revocation is final');
        await revokeCertificates(context, {
          serials: [entry.serial],
          reason: flags.reason,
          actor: 'cli',
          why: flags.why,
        });
        const done = flags.reason === 'certificateHold' ? 'suspended' : 'revoked';
        io.stdout.write(`${done} ${entry.serial} (${flags.reason})\n`);
      });
    });

  pki
    .command('resume')
    .description('lift a suspension (一時停止の解除)')
    .option(...DATA_OPTION)
    .option(...DB_OPTION)
    .requiredOption('--serial <hex>', 'serial number (hex)')
    .action(async (flags: { data: string; db?: string; serial: string }) => {
      await withIssuerRegistry(dataDirOf(io, flags), flags.db, async (context) => {
        const entry = await findCertificate(context, flags.serial);
        if (entry?.status !== 'suspended') return fail(io, setExitCode, 'only a suspended certificate can be resumed');
        await resumeCertificates(context, {
          serials: [entry.serial],
          actor: 'cli',
          why: 'resumed with openmyna pki resume',
        });
        io.stdout.write(`resumed ${entry.serial}\n`);
      });
    });
}
