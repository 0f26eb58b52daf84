import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { RevocationServices } from '@openmyna/issuer';
import { parseCrl, toPem, type Hierarchy } from '@openmyna/pki';
import { InvalidArgumentError, type Command } from 'commander';

import type { CliIo } from '../../io.js';
import { loadAuthorityWithResponder } from '../../issuer-service.js';
import { withIssuerRegistry } from '../../issuer-registry.js';
import { DATA_OPTION, DB_OPTION, dataDirOf, hierarchyOption } from './pki-options.js';

interface CrlFlags {
  data: string;
  db?: string;
  hierarchy: Hierarchy;
  municipality: string;
  out: string;
  pem?: boolean;
}

function municipalityOption(value: string): string {
  if (/^\d{5}$/.test(value)) return value;
  throw new InvalidArgumentError('must be a 5-digit municipality code');
}

/** `openmyna pki crl` */
export function registerCrlCommand(pki: Command, io: CliIo): void {
  pki
    .command('crl')
    .description("write the CRL partition of one municipality from the issuer's registry (DER, or PEM with --pem)")
    .option(...DATA_OPTION)
    .option(...DB_OPTION)
    .requiredOption('--hierarchy <name>', 'signing or authentication', hierarchyOption)
    .requiredOption('--municipality <code>', '5-digit municipality code of the partition', municipalityOption)
    .requiredOption('--out <file>', 'output file')
    .option('--pem', 'write PEM instead of DER')
    .action(async (flags: CrlFlags) => {
      const dir = dataDirOf(io, flags);
      const authorities = {
        signing: await loadAuthorityWithResponder(dir, 'signing'),
        authentication: await loadAuthorityWithResponder(dir, 'authentication'),
      };
      const { der, number } = await withIssuerRegistry(dir, flags.db, (context) =>
        new RevocationServices(context, authorities).crl(flags.hierarchy, flags.municipality),
      );
      await writeFile(resolve(io.cwd, flags.out), flags.pem ? toPem(der, 'X509 CRL') : der);
      const entries = parseCrl(der).revoked.size;
      io.stderr.write(
        `CRL ${flags.hierarchy}/${flags.municipality} number ${number} with ${entries} entries → ${flags.out}\n`,
      );
    });
}
