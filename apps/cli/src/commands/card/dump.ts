import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import {
  decodeBasicFourInfoFile,
  decodeCardFaceFile,
  decodeMyNumberFile,
  inProcessTransport,
  JpkiReader,
  KenhojoReader,
  KenkakuReader,
  listApplications,
  verifyKenhojoRecords,
  verifyKenkakuRecords,
  type CardRsaPublicKey,
  type KenhojoCredential,
  type PinResult,
  type SmartCard,
} from '@openmyna/card';
import { formatIsoDate } from '@openmyna/core';
import { parseCertificate, trustAnchor, validatePath, type CheckResult } from '@openmyna/pki';
import type { Command } from 'commander';

import { cardFaceCaKeys } from '../../card-face-store.js';
import { EXIT, maskMyNumber, type CliIo, type SetExitCode } from '../../io.js';
import { openCardFile } from './card-file.js';

/** `openmyna card dump` */
export function registerCardDumpCommand(card: Command, io: CliIo, setExitCode: SetExitCode): void {
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
