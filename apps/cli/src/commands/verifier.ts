import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import type { Command } from 'commander';

import { EXIT, type CliIo, type SetExitCode } from '../io.js';
import { serviceOptions, serviceStartOptions, type ServiceFlags } from '../options.js';
import { runUntilStopped, serviceAdminToken } from '../service-runner.js';
import { startVerifier } from '../verifier-service.js';

/** `openmyna verifier serve`, `openmyna verifier oidc-client` */
export function registerVerifierCommands(program: Command, io: CliIo, setExitCode: SetExitCode): void {
  const verifier = program
    .command('verifier')
    .description('the verifier service for relying parties (presentations, JPKI signatures and login, relay)');
  const serve = verifier
    .command('serve')
    .description(
      "run the verifier over the data directory's trust anchors (create them with `openmyna sandbox up`); Ctrl-C stops",
    );
  serviceOptions(serve, 'verifier.db', 8081)
    .addHelpText(
      'after',
      [
        '',
        'Relying parties are registered with POST /admin/relying-parties and `Authorization: Bearer <token>`:',
        'OPENMYNA_VERIFIER_ADMIN_TOKEN, or the token in <data>/verifier/admin-token.json. Each gets an API key once.',
        'Data at rest is sealed with OPENMYNA_VERIFIER_SEALING_KEY (32 bytes, base64), or <data>/verifier/sealing-key.json.',
        'Logs are JSON lines on standard output; the OpenAPI document is at /openapi.json; the relay at ws://…/relay/<id>.',
      ].join('\n'),
    )
    .action(async (flags: ServiceFlags) => {
      const running = await startVerifier(serviceStartOptions(io.cwd, flags));
      await runUntilStopped(io, 'verifier', running);
    });
  registerOidcClientCommand(verifier, io, setExitCode);
}

/** `openmyna verifier oidc-client`: a relying party's OpenID Connect client, through the admin API. */
function registerOidcClientCommand(verifier: Command, io: CliIo, setExitCode: SetExitCode): void {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  verifier
    .command('oidc-client')
    .description(
      "register (or replace) a relying party's OpenID Connect client for the デジタル認証アプリ-compatible provider (docs/oidc.md)",
    )
    .requiredOption('--rp <id>', 'the relying party (its id from POST /admin/relying-parties)')
    .requiredOption('--redirect-uri <uri>', 'an exact redirect URI (repeat for more)', collect)
    .requiredOption(
      '--jwks <file>',
      'its public JWK Set: signature keys for private_key_jwt, one "use": "enc" key for sign results',
    )
    .option(
      '--scope <scope>',
      'a scope it may ask for: name address birthdate gender sign (repeat; openid always)',
      collect,
    )
    .option('--url <url>', 'the verifier service', 'http://127.0.0.1:8081')
    .option('--data <dir>', 'data directory holding verifier/admin-token.json', 'data')
    .addHelpText('after', '\nThe admin token is OPENMYNA_VERIFIER_ADMIN_TOKEN, or <data>/verifier/admin-token.json.')
    .action((flags: OidcClientFlags) => registerOidcClient(io, setExitCode, flags));
}

interface OidcClientFlags {
  rp: string;
  redirectUri: string[];
  jwks: string;
  scope?: string[];
  url: string;
  data: string;
}

async function registerOidcClient(io: CliIo, setExitCode: SetExitCode, flags: OidcClientFlags): Promise<void> {
  let jwks: unknown;
  try {
    jwks = JSON.parse(await readFile(resolve(io.cwd, flags.jwks), 'utf8'));
  } catch (error) {
    io.stderr.write(`openmyna: ${flags.jwks} is not a readable JWK Set (${(error as Error).message})\n`);
    setExitCode(EXIT.usage);
    return;
  }
  const token = await serviceAdminToken(resolve(io.cwd, flags.data), 'verifier', 'OPENMYNA_VERIFIER_ADMIN_TOKEN');
  const response = await fetch(
    `${flags.url.replace(/\/$/, '')}/admin/relying-parties/${encodeURIComponent(flags.rp)}/oidc-client`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirectUris: flags.redirectUri, jwks, scopes: ['openid', ...(flags.scope ?? [])] }),
    },
  );
  const body = (await response.json()) as {
    clientId?: string;
    issuer?: string;
    scopes?: string[];
    error?: { code: string; message: string };
  };
  if (!response.ok) {
    io.stderr.write(`openmyna: ${body.error?.code ?? response.status}: ${body.error?.message ?? 'refused'}\n`);
    setExitCode(EXIT.invalid);
    return;
  }
  io.stdout.write(
    [
      `client_id  ${body.clientId}`,
      `issuer     ${body.issuer}`,
      `discovery  ${body.issuer}/.well-known/openid-configuration`,
      `scopes     ${(body.scopes ?? []).join(' ')}`,
      '',
    ].join('\n'),
  );
}
