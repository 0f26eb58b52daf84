import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { MDOC_BATCH_DEFAULT, MDOC_BATCH_MAX } from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import { base64UrlEncode } from '@openmyna/core';
import { mdocTrustAnchor } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { derFromPemOrDer } from '@openmyna/pki';
import { Wallet } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import { Option, type Command } from 'commander';
import { WebSocket } from 'ws';

import type { CliIo } from '../../io.js';
import { integerOption } from '../../options.js';
import { DEMO_PINS } from '../card.js';

/** The phone PINs a sandbox phone gets unless the holder chooses others (the card's demo values). */
export const DEMO_PHONE_PINS = { ...DEMO_PINS, juki: DEMO_PINS.kenhojo } as const;

/** The options every `phone` subcommand takes. */
export interface PhoneFlags {
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
    const made = base64UrlEncode(new Uint8Array(randomBytes(24)));
    await writeFile(file, `${made}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return made;
  }
}

/** Opens (or, with `create`, makes) the phone file of `--phone` as a wallet. */
export async function openPhone(
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

/** `openmyna phone <name>` with the options every phone subcommand takes. */
export function phoneCommand(phone: Command, name: string): Command {
  return phone
    .command(name)
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
}
