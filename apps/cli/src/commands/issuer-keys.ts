import { access } from 'node:fs/promises';
import { resolve } from 'node:path';

import type { Command } from 'commander';

import { AUTHORITY_KEY_NAMES, type KeyCustody } from '@openmyna/issuer';

import { KENHOJO_CA_KEY_ID, KENKAKU_CA_KEY_ID, caSigner } from '../card-face-store.js';
import { EXIT, type CliIo } from '../io.js';
import { loadPinResetAuthority } from '../issuer-service.js';
import { keysOption, KEYS_OPTION_HELP, openIssuerKeys } from '../issuer-keys.js';
import { loadMdocIssuer } from '../mdoc-store.js';
import { initHierarchies, pkiDir } from '../pki-store.js';

/**
 * `openmyna issuer keys init`: every key of the authority made in its custody (for a PKCS#11 token,
 * inside it), with the certificates and public files under `<data>/pki`.
 */
export function registerIssuerKeyCommands(issuer: Command, io: CliIo, setExitCode: (code: number) => void): void {
  issuer
    .command('keys')
    .description("the authority's keys: where they are kept and how they are made (docs/keys.md)")
    .command('init')
    .description(
      'create every key of a new authority in its custody (JPKI CAs and OCSP responders, card-face CAs, IACA and document signer, PIN-reset key) and the certificates under <data>/pki',
    )
    .option('--data <dir>', 'data directory for the certificates and public files', './.openmyna')
    .option('--base-url <url>', 'where the issuer will be reached (OCSP, CRL, IACA CRL URLs)', 'http://127.0.0.1:8080')
    .option('--keys <files|pkcs11-uri>', KEYS_OPTION_HELP, keysOption)
    .action(async (flags: { data: string; baseUrl: string; keys?: string }) => {
      const dataDir = resolve(io.cwd, flags.data);
      // Like `pki init`: an authority made once is not replaced by accident (its certificates would orphan).
      if (await exists(resolve(pkiDir(dataDir), 'signing', 'ca.pem'))) {
        io.stderr.write(`openmyna: an authority already exists in ${pkiDir(dataDir)}\n`);
        setExitCode(EXIT.failure);
        return;
      }
      const custody = await openIssuerKeys(dataDir, flags.keys, true);
      // A token outlives data directories: making keys again would destroy another authority's.
      const held = await heldKeys(custody);
      if (held.length > 0) {
        await custody.close();
        io.stderr.write(`openmyna: the key custody already holds ${held.join(', ')}; it is not replaced\n`);
        setExitCode(EXIT.failure);
        return;
      }
      try {
        await initHierarchies(
          dataDir,
          flags.baseUrl,
          (hierarchy) => io.stderr.write(`creating the ${hierarchy} hierarchy…\n`),
          custody,
        );
        io.stderr.write('creating the card-face CAs…\n');
        await caSigner(dataDir, custody, KENHOJO_CA_KEY_ID);
        await caSigner(dataDir, custody, KENKAKU_CA_KEY_ID);
        io.stderr.write('creating the IACA, document signer and PIN-reset key…\n');
        await loadMdocIssuer(dataDir, flags.baseUrl, new Date(), custody);
        await loadPinResetAuthority(dataDir, flags.baseUrl, custody);
      } finally {
        await custody.close();
      }
      io.stdout.write(`Created the authority's keys (${custody.backend}) and certificates in ${pkiDir(dataDir)}\n`);
    });
}

async function heldKeys(custody: KeyCustody): Promise<string[]> {
  const held: string[] = [];
  for (const name of AUTHORITY_KEY_NAMES) if (await custody.has(name)) held.push(name);
  return held;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
