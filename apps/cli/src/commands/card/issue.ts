import { resolve } from 'node:path';

import {
  calendarDateInJapan,
  cardExpiryDate,
  formatIsoDate,
  generatePerson,
  parseIsoDate,
  type SyntheticPerson,
} from '@openmyna/core';
import { issueCard, type IssuedCard } from '@openmyna/issuer';
import type { Command } from 'commander';

import { kenhojoIssuer, kenkakuIssuer } from '../../card-face-store.js';
import { EXIT, fail, type CliIo, type SetExitCode } from '../../io.js';
import { ensureDemoPerson, withIssuerRegistry } from '../../issuer-registry.js';
import { personOption } from '../../options.js';
import { loadAuthority, passphrase, writeAtomically } from '../../pki-store.js';
import { DEMO_PINS } from './card-file.js';

interface CardIssueFlags {
  data: string;
  db?: string;
  person: number;
  out: string;
  seed: string;
  authPin: string;
  signingPassword: string;
  kenhojoPin: string;
}

/** `openmyna card issue` */
export function registerCardIssueCommand(card: Command, io: CliIo, setExitCode: SetExitCode): void {
  card
    .command('issue')
    .description(
      "issue a virtual card through the issuer's registry to a person of the demo population (JPKI certificates, 入力補助 and 券面 records)",
    )
    .option('--data <dir>', 'data directory with the CAs (openmyna pki init)', './.openmyna')
    .option('--db <url>', "the issuer's registry: postgres://… or a SQLite file (default <data>/issuer.db)")
    .requiredOption('--person <id>', 'person id (e.g. P0000003)', personOption)
    .requiredOption('--out <file>', 'the card file to write')
    .option('--seed <seed>', 'population seed', 'openmyna-sandbox')
    .option('--auth-pin <digits>', '利用者証明用暗証番号 (4 digits)', DEMO_PINS.authentication)
    .option('--signing-password <text>', '署名用パスワード (6–16 upper-case letters and digits)', DEMO_PINS.signing)
    .option('--kenhojo-pin <digits>', '券面事項入力補助用暗証番号 (4 digits)', DEMO_PINS.kenhojo)
    .addHelpText(
      'after',
      `\nWithout PIN options the demo values apply: ${DEMO_PINS.authentication} / ${DEMO_PINS.signing} / ${DEMO_PINS.kenhojo}.`,
    )
    .action(async (flags: CardIssueFlags) => {
      // Checked here rather than by option parsers, whose errors would echo the value.
      const problem = cardPinsProblem(flags);
      if (problem) return fail(io, setExitCode, problem, EXIT.usage);
      const dataDir = resolve(io.cwd, flags.data);
      const person = generatePerson({ seed: flags.seed }, flags.person);
      const { document, securityCode } = await issueDemoCard(dataDir, person, flags);
      const cardExpiry = cardExpiryDate(parseIsoDate(person.birthDate), calendarDateInJapan(new Date()));
      await writeAtomically(resolve(io.cwd, flags.out), JSON.stringify(document, null, 2) + '\n');
      io.stdout.write(
        [
          `Issued a card to ${person.id} ${person.name} → ${flags.out}`,
          `  有効期限 (expiry)     ${formatIsoDate(cardExpiry)}`,
          `  セキュリティコード   ${securityCode} (printed on the card face; part of 照合番号B)`,
          `  署名用電子証明書     ${document.jpki.signingIssued ? 'issued' : 'not issued (holder under 15)'}`,
          '',
        ].join('\n'),
      );
    });
}

/** What is wrong with the chosen PINs (never echoing them), or `undefined`. */
function cardPinsProblem(flags: CardIssueFlags): string | undefined {
  if (!/^\d{4}$/.test(flags.authPin) || !/^\d{4}$/.test(flags.kenhojoPin)) return 'PINs have 4 digits';
  if (!/^(?=.*[A-Z])(?=.*\d)[A-Z\d]{6,16}$/.test(flags.signingPassword))
    return 'the signing password has 6–16 upper-case letters and digits, at least one of each';
  return undefined;
}

/** Issued through the issuer's registry, so the card's certificates can be revoked and answer OCSP. */
async function issueDemoCard(dataDir: string, person: SyntheticPerson, flags: CardIssueFlags): Promise<IssuedCard> {
  const authorities = {
    signing: await loadAuthority(dataDir, 'signing'),
    authentication: await loadAuthority(dataDir, 'authentication'),
  };
  return withIssuerRegistry(dataDir, flags.db, async (context) => {
    await ensureDemoPerson(context, person, 'cli');
    return issueCard(context, {
      personId: person.id,
      authorities,
      cardFace: {
        kenhojo: (code) => kenhojoIssuer(dataDir, code),
        kenkaku: (code) => kenkakuIssuer(dataDir, code),
      },
      pins: { authentication: flags.authPin, signing: flags.signingPassword, kenhojo: flags.kenhojoPin },
      actor: 'cli',
      passphrase: await passphrase(dataDir, false),
    });
  });
}
