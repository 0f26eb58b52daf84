import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import {
  ageOn,
  basicFourInfoOf,
  calendarDateInJapan,
  cardExpiryDate,
  generatePerson,
  parseIsoDate,
  renderFacePhoto,
  type SyntheticPerson,
} from '@openmyna/core';
import { cardFaceElements, ecPublicKeyFromJwk, issueMdoc, MNC_DOCTYPE } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import type { Command } from 'commander';

import { EXIT, fail, maskMyNumber, type CliIo, type SetExitCode } from '../../io.js';
import { loadMdocIssuer } from '../../mdoc-store.js';
import { integerOption, personOption } from '../../options.js';
import { writeAtomically } from '../../pki-store.js';

const DAY = 86_400_000;

interface MdocIssueFlags {
  person: number;
  deviceKey: string;
  out: string;
  data: string;
  seed: string;
  validityDays: number;
  statusUri?: string;
  statusIndex?: number;
}

/** `openmyna mdoc issue` */
export function registerMdocIssueCommand(mdoc: Command, io: CliIo, setExitCode: SetExitCode): void {
  mdoc
    .command('issue')
    .description(
      'issue the card-face mdoc of a demo person to a device key (creates the IACA and document signer on first use)',
    )
    .requiredOption('--person <id>', 'person id (e.g. P0000003)', personOption)
    .requiredOption('--device-key <file>', 'the device public key: a P-256 JWK (JSON)')
    .requiredOption('--out <file>', 'where to write the mdoc (CBOR: docType and IssuerSigned)')
    .option('--data <dir>', 'data directory', './.openmyna')
    .option('--seed <seed>', 'population seed', 'openmyna-sandbox')
    .option(
      '--validity-days <days>',
      'MSO validity; the wallet renews before it ends',
      integerOption('--validity-days', 1, 365),
      30,
    )
    .option('--status-uri <url>', 'the status list this mdoc is listed in (IETF Token Status List)')
    .option('--status-index <n>', 'its index in that list', integerOption('--status-index', 0, 2 ** 31))
    .action(async (flags: MdocIssueFlags) => {
      if ((flags.statusUri === undefined) !== (flags.statusIndex === undefined))
        return fail(io, setExitCode, '--status-uri and --status-index go together', EXIT.usage);
      const person = generatePerson({ seed: flags.seed }, flags.person);
      const now = new Date();
      const bytes = await issueCardFaceMdoc(io, person, flags, now);
      await writeAtomically(resolve(io.cwd, flags.out), bytes);
      io.stdout.write(
        [
          `Issued ${MNC_DOCTYPE} to ${person.id} (My Number ${maskMyNumber(person.myNumber)}) → ${flags.out}`,
          `  valid until  ${new Date(now.getTime() + flags.validityDays * DAY).toISOString()}`,
          `  trust anchor ${resolve(io.cwd, flags.data, 'pki/mdoc/iaca.pem')}`,
          '',
        ].join('\n'),
      );
    });
}

/** The card-face mdoc of `person`, bound to the device key of `--device-key`, signed by the data directory's DS. */
async function issueCardFaceMdoc(
  io: CliIo,
  person: SyntheticPerson,
  flags: MdocIssueFlags,
  now: Date,
): Promise<Uint8Array> {
  const deviceKey = ecPublicKeyFromJwk(
    JSON.parse(await readFile(resolve(io.cwd, flags.deviceKey), 'utf8')) as JsonWebKey,
  );
  const issuer = await loadMdocIssuer(resolve(io.cwd, flags.data));
  const today = calendarDateInJapan(now);
  const birthDate = parseIsoDate(person.birthDate);
  const issued = await issueMdoc({
    docType: MNC_DOCTYPE,
    elements: cardFaceElements(
      {
        basicFourInfo: basicFourInfoOf(person),
        myNumber: person.myNumber,
        municipalityCode: person.municipalityCode.slice(0, 5),
        portrait: renderFacePhoto({ faceSeed: person.faceSeed, sex: person.sex, age: ageOn(birthDate, today) }),
        cardIssueDate: today,
        cardExpiryDate: cardExpiryDate(birthDate, today),
      },
      today,
    ),
    deviceKey,
    documentSigner: issuer.documentSigner,
    validity: {
      signed: now,
      validFrom: now,
      validUntil: new Date(now.getTime() + flags.validityDays * DAY),
      expectedUpdate: new Date(now.getTime() + (flags.validityDays * DAY * 2) / 3),
    },
    ...(flags.statusUri !== undefined ? { status: { uri: flags.statusUri, idx: flags.statusIndex! } } : {}),
    crypto: nodeMdocCrypto,
  });
  return issued.bytes;
}
