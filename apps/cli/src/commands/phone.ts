import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { nodeCardKey, openPcscCard, VpcdBridge } from '@openmyna/card/node';
import { mdocTrustAnchor } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { derFromPemOrDer } from '@openmyna/pki';
import { Wallet, type Approval, type ConsentView } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import { MDOC_BATCH_DEFAULT, MDOC_BATCH_MAX } from '@openmyna/card';
import { Option, type Command } from 'commander';
import { WebSocket } from 'ws';

import { EXIT, readAll, type CliIo } from '../io.js';
import { integerOption } from '../options.js';
import { openCardFile } from './card.js';
import { DEMO_PINS } from './card.js';

/** The phone PINs a sandbox phone gets unless the holder chooses others (the card's demo values). */
export const DEMO_PHONE_PINS = { ...DEMO_PINS, juki: DEMO_PINS.kenhojo } as const;

interface PhoneFlags {
  readonly phone: string;
  readonly data: string;
  readonly issuer: string;
  readonly mdocBatch: number;
  readonly mdocPolicy: string;
}

/**
 * The phone file's passphrase: OPENMYNA_PHONE_PASSPHRASE, else `<phone>.passphrase` beside it (mode
 * 0600, made with the phone). A real phone keeps it in its hardware keystore.
 */
async function phonePassphrase(path: string, create: boolean): Promise<string> {
  const fromEnvironment = process.env['OPENMYNA_PHONE_PASSPHRASE'];
  if (fromEnvironment) return fromEnvironment;
  const file = `${path}.passphrase`;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create)
      throw new Error(`no passphrase for ${path}: set OPENMYNA_PHONE_PASSPHRASE or keep ${file} beside it`);
    const made = randomBytes(24).toString('base64url');
    await writeFile(file, `${made}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return made;
  }
}

async function openPhone(
  io: CliIo,
  flags: PhoneFlags,
  create = false,
  secureArea: 'local' | 'remote' | 'auto' = 'local',
): Promise<Wallet> {
  const path = resolve(io.cwd, flags.phone);
  if (!create && !(await stat(path).catch(() => undefined)))
    throw new Error(`no phone file at ${flags.phone}: run \`openmyna phone provision\` first`);
  const storage = await openEncryptedFileWalletStorage({
    path,
    passphrase: await phonePassphrase(path, create),
    crypto: nodeMdocCrypto,
  });
  const readerCa = await readFile(resolve(io.cwd, flags.data, 'pki', 'mdoc', 'reader-ca.pem')).catch(() => undefined);
  return new Wallet({
    storage,
    readerAnchors: readerCa ? [mdocTrustAnchor(derFromPemOrDer(new Uint8Array(readerCa), 'CERTIFICATE'))] : [],
    issuerUrl: flags.issuer,
    clock: () => new Date(),
    crypto: nodeMdocCrypto,
    cardKey: nodeCardKey,
    createSocket: (url) => new WebSocket(url) as never,
    secureArea,
    mdocs: {
      batchSize: flags.mdocBatch,
      policy: flags.mdocPolicy === 'per-relying-party' ? 'per-relying-party' : 'single-use',
    },
  });
}

const FORMAT_LABEL: Record<string, string> = {
  jpki_sign: '電子署名 (JPKI signature over the document)',
  jpki_auth: 'ログイン (JPKI authentication)',
  'kenhojo:my_number': 'マイナンバー (入力補助AP record)',
  'kenhojo:basic_four_info': '基本4情報 (入力補助AP record)',
};

/** The consent screen as text: who asks, why, each item, retention, the My Number decision. */
export function describeConsent(view: ConsentView): string {
  const lines = [
    view.requester.verified
      ? `要求元 (requester): ${view.requester.name ?? '(no name)'} — verified by its certificate`
      : `要求元 (requester): NOT VERIFIED — ${view.requester.warning ?? ''}`,
  ];
  if (view.purpose) lines.push(`目的 (purpose): ${view.purpose}`);
  if (view.document)
    lines.push(`署名する文書 (document): ${view.document.title} (${view.document.bytes.length} bytes)`);
  lines.push('項目 (items):');
  for (const item of view.items) {
    const label = FORMAT_LABEL[item.name] ?? item.elementIdentifier ?? item.name;
    const retained = item.retain ? ', kept by the requester' : '';
    lines.push(
      item.release ? `  ✓ ${label}${retained}` : `  ✗ ${label} — not sent (${item.withheldBecause ?? 'withheld'})`,
    );
  }
  if (view.myNumber.requested)
    lines.push(
      view.myNumber.allowed
        ? 'マイナンバー: this requester is registered to receive it'
        : 'マイナンバー: this requester may NOT receive it; it will not be sent',
    );
  lines.push(`Needs: ${view.secrets.join(', ') || 'nothing'}`);
  return `${lines.join('\n')}\n`;
}

/** `openmyna phone …` */
export function registerPhoneCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const phone = program
    .command('phone')
    .description('the CLI wallet: a phone file holding the card applications, provisioned from a card');
  const common = (command: Command) =>
    command
      .requiredOption(
        '--phone <file>',
        'the phone file (encrypted; passphrase OPENMYNA_PHONE_PASSPHRASE or <file>.passphrase)',
      )
      .option(
        '--data <dir>',
        'sandbox data directory (the reader CA the wallet trusts; the card passphrase)',
        './.openmyna',
      )
      .option('--issuer <url>', "the issuer's URL", 'http://127.0.0.1:8080')
      .option(
        '--mdoc-batch <n>',
        'single-use MSOs to ask for at provisioning and at each refill',
        integerOption('--mdoc-batch', 1, MDOC_BATCH_MAX),
        MDOC_BATCH_DEFAULT,
      )
      .addOption(
        new Option('--mdoc-policy <policy>', 'how MSOs are spent: each once, or once per relying party')
          .choices(['single-use', 'per-relying-party'])
          .default('single-use'),
      );

  common(phone.command('provision'))
    .description(
      'add a card to a new phone file: the card proves itself (PIN, signing password), the issuer issues the phone its own credentials',
    )
    .option('--card <file>', 'the card file (openmyna card issue, or <data>/cards/*.json)')
    .option('--pcsc [reader]', 'read the card in a PC/SC reader instead (a physical card, or one served through vpcd)')
    .option('--card-auth-pin <digits>', "the card's 利用者証明用暗証番号", DEMO_PINS.authentication)
    .option('--card-signing-password <text>', "the card's 署名用パスワード", DEMO_PINS.signing)
    .option('--auth-pin <digits>', "the phone's new 利用者証明用暗証番号", DEMO_PHONE_PINS.authentication)
    .option('--signing-password <text>', "the phone's new 署名用パスワード", DEMO_PHONE_PINS.signing)
    .option('--kenhojo-pin <digits>', "the phone's new 券面事項入力補助用暗証番号", DEMO_PHONE_PINS.kenhojo)
    .option('--juki-pin <digits>', "the phone's new 住民基本台帳用暗証番号", DEMO_PHONE_PINS.juki)
    .addOption(
      new Option(
        '--secure-area <where>',
        "where the phone's JPKI and 券面 keys, PIN data and retry counters live: in the phone file, in the issuer's remote secure area, or there when the issuer offers one",
      )
        .choices(['local', 'remote', 'auto'])
        .default('local'),
    )
    .action(
      async (
        flags: PhoneFlags & {
          card?: string;
          pcsc?: string | boolean;
          cardAuthPin: string;
          cardSigningPassword: string;
          authPin: string;
          signingPassword: string;
          kenhojoPin: string;
          jukiPin: string;
          secureArea: 'local' | 'remote' | 'auto';
        },
      ) => {
        if ((flags.card === undefined) === (flags.pcsc === undefined)) {
          io.stderr.write('openmyna: give the card as --card <file> or --pcsc [reader], one of them\n');
          setExitCode(EXIT.usage);
          return;
        }
        const wallet = await openPhone(io, flags, true, flags.secureArea);
        const pcsc =
          flags.pcsc === undefined
            ? undefined
            : await openPcscCard(typeof flags.pcsc === 'string' ? { readerName: flags.pcsc } : {});
        const card = flags.card
          ? await openCardFile(resolve(io.cwd, flags.card), resolve(io.cwd, flags.data))
          : undefined;
        const holder = await wallet
          .provision({
            card: pcsc ?? { transmit: (command) => card!.transmit(command) },
            cardPins: { authentication: flags.cardAuthPin, signing: flags.cardSigningPassword },
            phonePins: {
              authentication: flags.authPin,
              signing: flags.signingPassword,
              kenhojo: flags.kenhojoPin,
              juki: flags.jukiPin,
            },
            onProgress: (step) => io.stderr.write(`  ${step}…\n`),
          })
          .finally(() => pcsc?.close());
        const where = (await wallet.secureArea.remote()) ? " (keys and PIN counters in the issuer's secure area)" : '';
        io.stdout.write(`Added the card of ${holder.name} to ${flags.phone} (phone ${holder.phoneId})${where}.\n`);
      },
    );

  common(phone.command('present'))
    .description(
      'answer a relying party’s OpenID4VP request (a link, or a file holding one): show who asks and what, then send or decline',
    )
    .requiredOption('--request <link-or-file>', 'openid4vp://… link, or a file containing it')
    .option('--yes', 'send without asking (non-interactive)')
    .option('--decline', 'decline: the relying party hears access_denied')
    .option('--signing-password <text>', '署名用パスワード, when a signature is asked for')
    .option('--auth-pin <digits>', '利用者証明用暗証番号, for a login')
    .option('--kenhojo-pin <digits>', '券面事項入力補助用暗証番号, for card data')
    .action(
      async (
        flags: PhoneFlags & {
          request: string;
          yes?: boolean;
          decline?: boolean;
          signingPassword?: string;
          authPin?: string;
          kenhojoPin?: string;
        },
      ) => {
        const wallet = await openPhone(io, flags);
        const link = /^[a-z][a-z0-9+.-]*:\/\//i.test(flags.request)
          ? flags.request
          : (await readFile(resolve(io.cwd, flags.request), 'utf8')).trim();
        const pending = await wallet.openRequest(link);
        io.stdout.write(describeConsent(pending.view));
        if (flags.decline) {
          await wallet.decline(pending);
          io.stdout.write('Declined; the relying party was told.\n');
          return;
        }
        let approved = flags.yes === true;
        if (!approved && io.interactive) {
          io.stderr.write('送信しますか (send)? [y/N] ');
          approved = /^y/i.test((await readLine(io)).trim());
        }
        if (!approved) {
          io.stderr.write('openmyna: not sent (pass --yes to send, or --decline to refuse)\n');
          setExitCode(EXIT.invalid);
          return;
        }
        const approval: Approval = {
          ...(flags.signingPassword ? { signingPassword: flags.signingPassword } : {}),
          ...(flags.authPin ? { authenticationPin: flags.authPin } : {}),
          ...(flags.kenhojoPin ? { kenhojoPin: flags.kenhojoPin } : {}),
        };
        const result = await wallet.approve(pending, approval);
        io.stdout.write(`Sent.${result.redirectUri ? ` Continue at ${result.redirectUri}` : ''}\n`);
      },
    );

  common(phone.command('sign'))
    .description("sign a file with the phone's JPKI signing key: a detached CMS SignedData (DER)")
    .requiredOption('--in <file>', 'the document')
    .requiredOption('--out <file>', 'where to write the signature (.p7s)')
    .requiredOption('--signing-password <text>', '署名用パスワード')
    .action(async (flags: PhoneFlags & { in: string; out: string; signingPassword: string }) => {
      const wallet = await openPhone(io, flags);
      const content = new Uint8Array(await readFile(resolve(io.cwd, flags.in)));
      const signature = await wallet.signDocument(content, flags.signingPassword, flags.in);
      await writeFile(resolve(io.cwd, flags.out), signature);
      io.stdout.write(`Signed ${flags.in} (${content.length} bytes) → ${flags.out}\n`);
    });

  common(phone.command('serve'))
    .description(
      'offer the phone to PC/SC software through vsmartcard vpcd, as `card serve` does for a card (pcscd must run); Ctrl-C stops',
    )
    .option('--vpcd-port <port>', 'vpcd port', integerOption('--vpcd-port', 1, 65535), 35963)
    .action(async (flags: PhoneFlags & { vpcdPort: number }) => {
      const wallet = await openPhone(io, flags);
      const { card } = await wallet.secureArea.openCard();
      const bridge = await VpcdBridge.connect({ card, port: flags.vpcdPort });
      io.stdout.write(`The phone is in the vpcd reader on 127.0.0.1:${flags.vpcdPort} (Ctrl-C stops)\n`);
      const stop = () => void bridge.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await bridge.closed;
    });

  common(phone.command('status'))
    .description(
      "the phone's card and its certificates' status at the issuer (OCSP, else CRL); a revoked phone wipes itself",
    )
    .action(async (flags: PhoneFlags) => {
      const wallet = await openPhone(io, flags);
      if (!(await wallet.provisioned())) {
        io.stdout.write('This phone holds no card.\n');
        return;
      }
      const holder = await wallet.holder();
      const status = await wallet.checkStatus();
      io.stdout.write(`${holder.name} (phone ${holder.phoneId}), card valid until ${holder.cardExpiry}: ${status}\n`);
      if (status !== 'good') setExitCode(status === 'unknown' ? EXIT.statusUnknown : EXIT.invalid);
    });

  common(phone.command('lifecycle'))
    .description(
      "suspend or revoke this phone's certificates at the issuer (利用者証明用暗証番号); revoking wipes the phone",
    )
    .requiredOption('--action <action>', 'suspend or revoke')
    .requiredOption('--auth-pin <digits>', '利用者証明用暗証番号')
    .action(async (flags: PhoneFlags & { action: string; authPin: string }) => {
      if (flags.action !== 'suspend' && flags.action !== 'revoke') {
        io.stderr.write('openmyna: --action is suspend or revoke\n');
        setExitCode(EXIT.usage);
        return;
      }
      const wallet = await openPhone(io, flags);
      await wallet.changeLifecycle(flags.action, flags.authPin);
      io.stdout.write(flags.action === 'revoke' ? 'Revoked; the phone was wiped.\n' : 'Suspended.\n');
    });

  common(phone.command('reset-pins'))
    .description(
      'reset blocked or forgotten phone PINs with the card (its signing password): the issuer authorizes, the phone checks and resets',
    )
    .requiredOption('--card <file>', 'the card file')
    .option('--card-signing-password <text>', "the card's 署名用パスワード", DEMO_PINS.signing)
    .option('--auth-pin <digits>', 'new 利用者証明用暗証番号')
    .option('--signing-password <text>', 'new 署名用パスワード')
    .option('--kenhojo-pin <digits>', 'new 券面事項入力補助用暗証番号')
    .option('--juki-pin <digits>', 'new 住民基本台帳用暗証番号')
    .action(
      async (
        flags: PhoneFlags & {
          card: string;
          cardSigningPassword: string;
          authPin?: string;
          signingPassword?: string;
          kenhojoPin?: string;
          jukiPin?: string;
        },
      ) => {
        const wallet = await openPhone(io, flags);
        const card = await openCardFile(resolve(io.cwd, flags.card), resolve(io.cwd, flags.data));
        await wallet.resetPins({
          card: { transmit: (command) => card.transmit(command) },
          cardSigningPassword: flags.cardSigningPassword,
          pins: {
            ...(flags.authPin ? { authenticationPin: flags.authPin } : {}),
            ...(flags.signingPassword ? { signingPassword: flags.signingPassword } : {}),
            ...(flags.kenhojoPin ? { kenhojoPin: flags.kenhojoPin } : {}),
            ...(flags.jukiPin ? { jukiPin: flags.jukiPin } : {}),
          },
        });
        io.stdout.write('Reset; the new PINs are in force.\n');
      },
    );

  common(phone.command('mdocs'))
    .description(
      "the phone's single-use MSOs (unused, used, expired); --refill gets a fresh batch from the issuer (no PIN: a valid device key proves the phone)",
    )
    .option('--refill', 'refill now, retiring the earlier batch')
    .action(async (flags: PhoneFlags & { refill?: boolean }) => {
      const wallet = await openPhone(io, flags);
      if (!(await wallet.provisioned())) {
        io.stdout.write('This phone holds no card.\n');
        return;
      }
      const status = flags.refill ? await wallet.refillMdocs() : await wallet.mdocStatus();
      io.stdout.write(
        `${flags.refill ? 'Refilled. ' : ''}MSOs: ${status.unused} unused, ${status.used} used, ${status.expired} expired${status.validUntil ? `; valid until ${status.validUntil}` : ''}\n`,
      );
    });

  common(phone.command('history'))
    .description('the transaction log: every presentation, signature and login (items by name, never values)')
    .option('--json', 'export it as JSON (openmyna-wallet-log/1)')
    .action(async (flags: PhoneFlags & { json?: boolean }) => {
      const wallet = await openPhone(io, flags);
      if (flags.json) {
        io.stdout.write(`${await wallet.exportHistory()}\n`);
        return;
      }
      for (const entry of await wallet.history())
        io.stdout.write(
          `${entry.time}  ${entry.kind.padEnd(12)} ${entry.result.padEnd(9)} ${entry.counterparty?.name ?? ''}  ${entry.items.join(', ')}${entry.reason ? `  (${entry.reason})` : ''}\n`,
        );
    });
}

async function readLine(io: CliIo): Promise<string> {
  return (await readAll(io.stdin)).split('\n')[0] ?? '';
}
