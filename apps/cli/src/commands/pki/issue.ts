import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { bytesToHex } from '@noble/hashes/utils.js';
import {
  calendarDateInJapan,
  cardExpiryDate,
  generatePerson,
  parseMunicipalityCode,
  placeOfMunicipality,
  type SyntheticPerson,
} from '@openmyna/core';
import { getPerson, issueCertificateDurably, type IssuerContext } from '@openmyna/issuer';
import { derFromPemOrDer, parseCertificate, toPem, verifyCertificationRequest, type Hierarchy } from '@openmyna/pki';
import type { CertificateAuthority } from '@openmyna/pki/ca';
import type { Command } from 'commander';

import { EXIT, type CliIo, type SetExitCode } from '../../io.js';
import { ensureDemoPerson, withIssuerRegistry } from '../../issuer-registry.js';
import { personOption } from '../../options.js';
import { initHierarchies, loadAuthority, pkiDir } from '../../pki-store.js';
import { DATA_OPTION, DB_OPTION, dataDirOf, hierarchyOption } from './pki-options.js';

/** `openmyna pki init` */
export function registerInitCommand(pki: Command, io: CliIo, setExitCode: SetExitCode): void {
  pki
    .command('init')
    .description('create both hierarchies (signing and authentication) with their OCSP responders')
    .option(...DATA_OPTION)
    .option('--base-url <url>', 'where the OCSP and CRL services will be reached', 'http://127.0.0.1:8080')
    .option('--force', 'replace existing hierarchies (every certificate issued so far becomes unverifiable)')
    .action(async (flags: { data: string; baseUrl: string; force?: boolean }) => {
      const dir = dataDirOf(io, flags);
      if (!flags.force && (await exists(resolve(pkiDir(dir), 'signing', 'ca.pem')))) {
        io.stderr.write(`openmyna: a CA already exists in ${pkiDir(dir)} (use --force to replace it)\n`);
        setExitCode(EXIT.failure);
        return;
      }
      await initHierarchies(dir, flags.baseUrl, (hierarchy) =>
        io.stderr.write(`creating the ${hierarchy} hierarchy…\n`),
      );
      io.stdout.write(`Created the signing and authentication CAs in ${pkiDir(dir)}\n`);
    });
}

interface IssueFlags {
  data: string;
  db?: string;
  person: number;
  csr: string;
  hierarchy: Hierarchy;
  seed: string;
  out?: string;
}

/** `openmyna pki issue` */
export function registerIssueCommand(pki: Command, io: CliIo): void {
  pki
    .command('issue')
    .description(
      "issue a JPKI certificate to a person in the issuer's registry (a person of the demo population is registered first if needed); the key comes from a CSR, everything else from the registry",
    )
    .option(...DATA_OPTION)
    .option(...DB_OPTION)
    .requiredOption('--person <id>', 'person id from the population (e.g. P0000003)', personOption)
    .requiredOption('--csr <file>', 'PKCS#10 request signed by the subject key (proof of possession), PEM or DER')
    .requiredOption('--hierarchy <name>', 'signing or authentication', hierarchyOption)
    .option('--seed <seed>', 'population seed (default: the sandbox seed)', 'openmyna-sandbox')
    .option('--out <file>', 'write the PEM certificate here instead of standard output')
    .action(async (flags: IssueFlags) => {
      const dir = dataDirOf(io, flags);
      const ca = await loadAuthority(dir, flags.hierarchy);
      const certificationRequest = derFromPemOrDer(
        new Uint8Array(await readFile(resolve(io.cwd, flags.csr))),
        'CERTIFICATE REQUEST',
      );
      // Proof of possession first; then only the key is taken from the request.
      const { subjectPublicKeyInfo } = await verifyCertificationRequest(certificationRequest);
      const demo = generatePerson({ seed: flags.seed }, flags.person);
      const der = await withIssuerRegistry(dir, flags.db, (context) =>
        issueToDemoPerson(context, { ca, hierarchy: flags.hierarchy, demo, subjectPublicKeyInfo }),
      );
      const pem = toPem(der, 'CERTIFICATE');
      if (flags.out) await writeFile(resolve(io.cwd, flags.out), pem);
      else io.stdout.write(pem);
      const serial = bytesToHex(parseCertificate(der).serialNumber);
      io.stderr.write(`issued ${flags.hierarchy} certificate ${serial} to ${demo.id}\n`);
    });
}

/** Registers the demo person if needed, then issues from the registry's record of them. */
async function issueToDemoPerson(
  context: IssuerContext,
  options: {
    readonly ca: CertificateAuthority;
    readonly hierarchy: Hierarchy;
    readonly demo: SyntheticPerson;
    readonly subjectPublicKeyInfo: Uint8Array;
  },
): Promise<Uint8Array> {
  await ensureDemoPerson(context, options.demo, 'cli');
  const person = await getPerson(context, options.demo.id);
  const municipalityCode = parseMunicipalityCode(person.municipalityCode.slice(0, 5));
  const issuedAt = context.clock();
  // Stored before the CA key signs, like every certificate of the issuer, so it can be revoked.
  return issueCertificateDurably(context, {
    ca: options.ca,
    hierarchy: options.hierarchy,
    request: {
      profile: options.hierarchy === 'signing' ? 'jpki-signing' : 'jpki-authentication',
      subjectPublicKeyInfo: options.subjectPublicKeyInfo,
      holder: {
        basicFourInfo: person.basicFourInfo,
        municipalityCode,
        ...placeOfMunicipality(municipalityCode),
        cardExpiry: cardExpiryDate(person.basicFourInfo.birthDate, calendarDateInJapan(issuedAt)),
      },
      issuedAt,
    },
    holder: { personId: person.id },
    actor: 'cli',
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}
