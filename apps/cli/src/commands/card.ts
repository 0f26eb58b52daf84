import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { calendarDateInJapan, cardExpiryDate, formatIsoDate, generatePerson, parseIsoDate } from '@openmyna/core';
import {
  decodeBasicFourInfoFile,
  decodeCardFaceFile,
  decodeMyNumberFile,
  inProcessTransport,
  JpkiReader,
  KenhojoReader,
  KenkakuReader,
  listApplications,
  openVirtualCard,
  verifyKenhojoRecords,
  verifyKenkakuRecords,
  type CardPins,
  type CardRsaPublicKey,
  type KenhojoCredential,
  type PinResult,
  type SmartCard,
  type VirtualCardDocument,
} from '@openmyna/card';
import { FileRetryCounterStore, nodeCardKey, VpcdBridge } from '@openmyna/card/node';
import { issueCard } from '@openmyna/issuer';
import { parseCertificate, trustAnchor, validatePath, type CheckResult } from '@openmyna/pki';
import type { Command } from 'commander';

import { cardFaceCaKeys, kenhojoIssuer, kenkakuIssuer } from '../card-face-store.js';
import { ensureDemoPerson, withIssuerRegistry } from '../issuer-registry.js';

import { EXIT, maskMyNumber, type CliIo } from '../io.js';
import { integerOption, personOption } from '../options.js';
import { loadAuthority, passphrase, writeAtomically } from '../pki-store.js';

/** Demo defaults for a sandbox card; real PINs are chosen by the holder (`--auth-pin` …). */
export const DEMO_PINS: CardPins = { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' };

/** `openmyna card …` */
export function registerCardCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const card = program.command('card').description('virtual My Number Cards: issue, read, and offer to PC/SC software');

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
    .action(
      async (flags: {
        data: string;
        db?: string;
        person: number;
        out: string;
        seed: string;
        authPin: string;
        signingPassword: string;
        kenhojoPin: string;
      }) => {
        // Checked here rather than by option parsers, whose errors would echo the value.
        const problem =
          !/^\d{4}$/.test(flags.authPin) || !/^\d{4}$/.test(flags.kenhojoPin)
            ? 'PINs have 4 digits'
            : !/^(?=.*[A-Z])(?=.*\d)[A-Z\d]{6,16}$/.test(flags.signingPassword)
              ? 'the signing password has 6–16 upper-case letters and digits, at least one of each'
              : undefined;
        if (problem) {
          io.stderr.write(`openmyna: ${problem}\n`);
          setExitCode(EXIT.usage);
          return;
        }
        const dataDir = resolve(io.cwd, flags.data);
        const person = generatePerson({ seed: flags.seed }, flags.person);
        const authorities = {
          signing: await loadAuthority(dataDir, 'signing'),
          authentication: await loadAuthority(dataDir, 'authentication'),
        };
        // Issued through the issuer's registry, so the card's certificates can be revoked and answer OCSP.
        const issued = await withIssuerRegistry(dataDir, flags.db, async (context) => {
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
        const { document, securityCode } = issued;
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
      },
    );

  card
    .command('dump')
    .description(
      'read every application as a reader would, verifying what can be verified (PINs are tried on the card)',
    )
    .requiredOption('--card <file>', 'card file')
    .option('--data <dir>', 'data directory (passphrase, card-face CA keys)', './.openmyna')
    .option('--auth-pin <digits>', 'verify the JPKI authentication PIN')
    .option('--signing-password <text>', 'verify the JPKI signing password and read the signing certificate')
    .option('--pin <digits>', '入力補助 PIN: read 個人番号, 4 info and the integrity record')
    .option('--mynumber <digits>', '照合番号A (個人番号): read 個人番号 and the integrity record')
    .option('--code-b <digits>', '照合番号B (14 digits): read the 4 info and the integrity record')
    .option('--images <dir>', 'write the card-face images read from the 券面AP into this directory')
    .action(
      async (flags: {
        card: string;
        data: string;
        authPin?: string;
        signingPassword?: string;
        pin?: string;
        mynumber?: string;
        codeB?: string;
        images?: string;
      }) => {
        const dataDir = resolve(io.cwd, flags.data);
        const smartCard = await openCardFile(resolve(io.cwd, flags.card), dataDir);
        const lines: string[] = [];
        const checks: CheckResult[] = [];
        const present = await listApplications(inProcessTransport(smartCard));
        // Read lazily: a phone (JPKI-AP only) or a dump without record credentials needs no CA keys.
        let caKeys: Promise<Map<string, CardRsaPublicKey>> | undefined;
        const trusted = () => (caKeys ??= cardFaceCaKeys(dataDir));
        await dumpJpki(smartCard, flags, lines, checks);
        if (present.includes('券面事項入力補助AP')) await dumpKenhojo(smartCard, trusted, flags, lines, checks);
        else lines.push('入力補助AP not present (a phone carries only the JPKI-AP)');
        if (present.includes('券面AP')) {
          const images = flags.images && resolve(io.cwd, flags.images);
          await dumpKenkaku(smartCard, trusted, { ...flags, images }, lines, checks);
        } else lines.push('券面AP not present (a phone carries only the JPKI-AP)');
        for (const check of checks)
          lines.push(`  ${check.status.padEnd(7)} ${check.check}${check.reason ? `  (${check.reason})` : ''}`);
        io.stdout.write(lines.join('\n') + '\n');
        setExitCode(checks.some((check) => check.status === 'fail') ? EXIT.invalid : EXIT.ok);
      },
    );

  card
    .command('serve')
    .description('offer the card to PC/SC software through vsmartcard vpcd (pcscd must run); Ctrl-C stops')
    .requiredOption('--card <file>', 'card file')
    .option('--data <dir>', 'data directory (passphrase)', './.openmyna')
    .option('--vpcd-port <port>', 'vpcd port', integerOption('--vpcd-port', 1, 65535), 35963)
    .action(async (flags: { card: string; data: string; vpcdPort: number }) => {
      const smartCard = await openCardFile(resolve(io.cwd, flags.card), resolve(io.cwd, flags.data));
      const bridge = await VpcdBridge.connect({ card: smartCard, port: flags.vpcdPort });
      io.stdout.write(`The card is in the vpcd reader on 127.0.0.1:${flags.vpcdPort} (Ctrl-C stops)\n`);
      const stop = () => void bridge.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await bridge.closed;
    });
}

/** Opens a card file with its retry counters in `<file>.counters.json`; PIN changes are written back. */
export async function openCardFile(path: string, dataDir: string): Promise<SmartCard> {
  const document = JSON.parse(await readFile(path, 'utf8')) as VirtualCardDocument;
  const secret = await passphrase(dataDir, false);
  return openVirtualCard({
    document,
    passphrase: secret,
    store: (key) => new FileRetryCounterStore({ path: `${path}.counters.json`, key }),
    onSecretsChanged: (secrets) => writeAtomically(path, JSON.stringify({ ...document, secrets }, null, 2) + '\n'),
    cardKey: nodeCardKey,
  });
}

async function dumpJpki(
  card: SmartCard,
  flags: { authPin?: string; signingPassword?: string },
  lines: string[],
  checks: CheckResult[],
): Promise<void> {
  const jpki = new JpkiReader(inProcessTransport(card));
  await jpki.select();
  lines.push('JPKI-AP', `  token label          ${await jpki.tokenLabel()}`);
  lines.push(
    `  tries left           authentication PIN ${await jpki.triesLeft('authentication')}, signing password ${await jpki.triesLeft('signing').catch(() => 0)}`,
  );
  if (flags.authPin)
    lines.push(`  authentication PIN   ${describe(await jpki.verifyPin('authentication', flags.authPin))}`);
  const time = new Date();
  const chain = async (name: 'authentication' | 'signing', anchorName: 'authentication-ca' | 'signing-ca') => {
    const certificate = parseCertificate(await jpki.readCertificate(name));
    const anchor = trustAnchor(await jpki.readCertificate(anchorName));
    const result = await validatePath({ certificate, trustAnchors: [anchor], time, checkRevocation: false });
    lines.push(
      `  ${name} certificate  notAfter ${certificate.notAfter.toISOString()}, chains to the card's CA certificate: ${result.status}`,
    );
    checks.push({ check: `jpki.${name}-certificate-chain`, status: result.status === 'valid' ? 'pass' : 'fail' });
  };
  await chain('authentication', 'authentication-ca');
  if (flags.signingPassword) {
    lines.push(`  signing password     ${describe(await jpki.verifyPin('signing', flags.signingPassword))}`);
    await chain('signing', 'signing-ca').catch(() => lines.push('  signing certificate  not readable'));
  }
}

async function dumpKenhojo(
  card: SmartCard,
  trusted: () => Promise<Map<string, CardRsaPublicKey>>,
  flags: { pin?: string; mynumber?: string; codeB?: string },
  lines: string[],
  checks: CheckResult[],
): Promise<void> {
  const kenhojo = new KenhojoReader(inProcessTransport(card));
  await kenhojo.select();
  lines.push('券面事項入力補助AP');
  const credential: [KenhojoCredential, string] | undefined = flags.pin
    ? ['pin', flags.pin]
    : flags.mynumber
      ? ['codeA', flags.mynumber]
      : flags.codeB
        ? ['codeB', flags.codeB]
        : undefined;
  if (!credential) {
    lines.push('  (give --pin, --mynumber or --code-b to read its records)');
    return;
  }
  const outcome = await kenhojo.verify(...credential);
  lines.push(`  ${credential[0].padEnd(20)} ${describe(outcome)}`);
  if (outcome.result !== 'verified') return;
  const myNumberFile = credential[0] === 'codeB' ? undefined : await kenhojo.readMyNumberFile();
  const basicFourInfoFile = credential[0] === 'codeA' ? undefined : await kenhojo.readBasicFourInfoFile();
  if (myNumberFile) lines.push(`  個人番号             ${maskMyNumber(decodeMyNumberFile(myNumberFile).myNumber)}`);
  if (basicFourInfoFile) {
    const { info } = decodeBasicFourInfoFile(basicFourInfoFile);
    lines.push(
      `  氏名 ${info.name}  住所 ${info.address}  生年月日 ${formatIsoDate(info.birthDate)}  性別 ${info.sex}`,
    );
  }
  const result = verifyKenhojoRecords(
    {
      integrityRecord: await kenhojo.readIntegrityRecord(),
      cvCertificate: await kenhojo.readCvCertificate(),
      ...(myNumberFile ? { myNumberFile } : {}),
      ...(basicFourInfoFile ? { basicFourInfoFile } : {}),
    },
    await trusted(),
  );
  checks.push(...result.checks);
}

async function dumpKenkaku(
  card: SmartCard,
  trusted: () => Promise<Map<string, CardRsaPublicKey>>,
  flags: { mynumber?: string; codeB?: string; images?: string | undefined },
  lines: string[],
  checks: CheckResult[],
): Promise<void> {
  const kenkaku = new KenkakuReader(inProcessTransport(card));
  await kenkaku.select();
  lines.push('券面AP');
  const credential: ['codeA' | 'codeB', string] | undefined = flags.mynumber
    ? ['codeA', flags.mynumber]
    : flags.codeB
      ? ['codeB', flags.codeB]
      : undefined;
  if (!credential) {
    lines.push('  (give --mynumber or --code-b to read the card face)');
    return;
  }
  const outcome = await kenkaku.verify(...credential);
  lines.push(`  ${credential[0].padEnd(20)} ${describe(outcome)}`);
  if (outcome.result !== 'verified') return;
  const cardFaceFile = await kenkaku.readCardFace();
  const myNumberImageRecord = credential[0] === 'codeA' ? await kenkaku.readMyNumberImage() : undefined;
  const { face } = decodeCardFaceFile(cardFaceFile);
  lines.push(
    `  生年月日 ${formatIsoDate(face.birthDate)}  性別 ${face.sex}  有効期限 ${formatIsoDate(face.expiry)}`,
    `  images               name ${face.nameImage.length} B, address ${face.addressImage.length} B, photo ${face.photo.length} B${myNumberImageRecord ? ', 個人番号 image' : ''}`,
  );
  if (flags.images) {
    await mkdir(flags.images, { recursive: true });
    const files: [string, Uint8Array][] = [
      ['name.png', face.nameImage],
      ['address.png', face.addressImage],
      [face.photo[0] === 0xff ? 'photo.jpg' : 'photo.jp2', face.photo],
      ['security-code.png', face.securityCodeImage],
    ];
    for (const [name, bytes] of files) await writeFile(join(flags.images, name), bytes, { mode: 0o600 });
    lines.push(`  written to           ${flags.images}`);
  }
  // The card signs a challenge only we chose: the records belong to the card in the reader.
  const presence = await kenkaku.proveCardPresence(randomBytes(32));
  const result = verifyKenkakuRecords(
    {
      cvCertificate: await kenkaku.readCvCertificate(),
      cardFaceFile,
      presence,
      ...(myNumberImageRecord ? { myNumberImageRecord } : {}),
    },
    await trusted(),
  );
  checks.push(...result.checks);
}

function describe(outcome: PinResult): string {
  return outcome.result === 'wrong' ? `wrong (${outcome.triesLeft} tries left)` : outcome.result;
}
