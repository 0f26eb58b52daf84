import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';

import {
  calendarDateInJapan,
  cardExpiryDate,
  generatePerson,
  parseMunicipalityCode,
  placeOfMunicipality,
} from '@openmyna/core';
import {
  getPerson,
  issueCertificateDurably,
  resumeInTransaction,
  revokeInTransaction,
  RevocationServices,
  type IssuerContext,
} from '@openmyna/issuer';
import {
  CRL_REASON,
  derFromPemOrDer,
  fromPem,
  parseCertificate,
  parseCrl,
  toPem,
  crlStatus,
  trustAnchor,
  validatePath,
  verifyCertificationRequest,
  type CrlReasonName,
  type X509Crl,
  type Hierarchy,
} from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { jpkiRevocation, OPENMYNA_POLICY_OIDS, verifyJpkiSignature, type JpkiTrust } from '@openmyna/verifier';
import { InvalidArgumentError, type Command } from 'commander';
import { bytesToHex } from '@noble/hashes/utils.js';
import { inTransaction } from '@openmyna/storage';

import { EXIT, type CliIo } from '../io.js';
import { integerOption, personOption } from '../options.js';
import { ensureDemoPerson, withIssuerRegistry } from '../issuer-registry.js';
import { loadAuthorityWithResponder } from '../issuer-service.js';
import { hierarchyPolicies, initHierarchies, loadAuthority, pkiDir } from '../pki-store.js';

const hierarchyOption = (value: string): Hierarchy => {
  if (value === 'signing' || value === 'authentication') return value;
  throw new InvalidArgumentError('must be "signing" or "authentication"');
};
const reasonOption = (value: string): CrlReasonName => {
  if (value in CRL_REASON && value !== 'removeFromCRL') return value as CrlReasonName;
  throw new InvalidArgumentError(
    `must be one of ${Object.keys(CRL_REASON)
      .filter((name) => name !== 'removeFromCRL')
      .join(', ')}`,
  );
};

/** `openmyna pki …` */
export function registerPkiCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const pki = program.command('pki').description('the JPKI certificate authorities: issue, revoke, CRL, OCSP, verify');
  const data = (flags: { data: string }) => resolve(io.cwd, flags.data);

  pki
    .command('init')
    .description('create both hierarchies (signing and authentication) with their OCSP responders')
    .option('--data <dir>', 'data directory', './.openmyna')
    .option('--base-url <url>', 'where the OCSP and CRL services will be reached', 'http://127.0.0.1:8080')
    .option('--force', 'replace existing hierarchies (every certificate issued so far becomes unverifiable)')
    .action(async (flags: { data: string; baseUrl: string; force?: boolean }) => {
      const dir = data(flags);
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

  const DB_OPTION = [
    '--db <url>',
    "the issuer's registry: postgres://… or a SQLite file (default <data>/issuer.db)",
  ] as const;

  pki
    .command('issue')
    .description(
      "issue a JPKI certificate to a person in the issuer's registry (a person of the demo population is registered first if needed); the key comes from a CSR, everything else from the registry",
    )
    .option('--data <dir>', 'data directory', './.openmyna')
    .option(...DB_OPTION)
    .requiredOption('--person <id>', 'person id from the population (e.g. P0000003)', personOption)
    .requiredOption('--csr <file>', 'PKCS#10 request signed by the subject key (proof of possession), PEM or DER')
    .requiredOption('--hierarchy <name>', 'signing or authentication', hierarchyOption)
    .option('--seed <seed>', 'population seed (default: the sandbox seed)', 'openmyna-sandbox')
    .option('--out <file>', 'write the PEM certificate here instead of standard output')
    .action(
      async (flags: {
        data: string;
        db?: string;
        person: number;
        csr: string;
        hierarchy: Hierarchy;
        seed: string;
        out?: string;
      }) => {
        const dir = data(flags);
        const ca = await loadAuthority(dir, flags.hierarchy);
        const certificationRequest = derFromPemOrDer(
          new Uint8Array(await readFile(resolve(io.cwd, flags.csr))),
          'CERTIFICATE REQUEST',
        );
        // Proof of possession first; then only the key is taken from the request.
        const { subjectPublicKeyInfo } = await verifyCertificationRequest(certificationRequest);
        const demo = generatePerson({ seed: flags.seed }, flags.person);
        const der = await withIssuerRegistry(dir, flags.db, async (context) => {
          await ensureDemoPerson(context, demo, 'cli');
          const person = await getPerson(context, demo.id);
          const municipalityCode = parseMunicipalityCode(person.municipalityCode.slice(0, 5));
          const issuedAt = context.clock();
          // Stored before the CA key signs, like every certificate of the issuer, so it can be revoked.
          return issueCertificateDurably(context, {
            ca,
            hierarchy: flags.hierarchy,
            request: {
              profile: flags.hierarchy === 'signing' ? 'jpki-signing' : 'jpki-authentication',
              subjectPublicKeyInfo,
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
        });
        const certificate = parseCertificate(der);
        const pem = toPem(der, 'CERTIFICATE');
        if (flags.out) await writeFile(resolve(io.cwd, flags.out), pem);
        else io.stdout.write(pem);
        io.stderr.write(
          `issued ${flags.hierarchy} certificate ${bytesToHex(certificate.serialNumber)} to ${demo.id}\n`,
        );
      },
    );

  const findCertificate = async (context: IssuerContext, serial: string) =>
    context.db
      .selectFrom('certificates')
      .select(['serial', 'hierarchy', 'status', 'municipality_code'])
      .where('serial', '=', serial.toLowerCase())
      .executeTakeFirst();

  pki
    .command('revoke')
    .description('revoke a certificate, or suspend it (--reason certificateHold); `pki resume` lifts a suspension')
    .option('--data <dir>', 'data directory', './.openmyna')
    .option(...DB_OPTION)
    .requiredOption('--serial <hex>', 'serial number (hex)')
    .option('--reason <reason>', 'CRLReason', reasonOption, 'unspecified' as CrlReasonName)
    .option('--why <text>', 'the reason recorded in the audit log', 'revoked with openmyna pki revoke')
    .action(async (flags: { data: string; db?: string; serial: string; reason: CrlReasonName; why: string }) => {
      await withIssuerRegistry(data(flags), flags.db, async (context) => {
        const entry = await findCertificate(context, flags.serial);
        if (!entry || entry.status === 'prepared' || entry.status === 'abandoned')
          return fail(io, setExitCode, `no certificate with serial ${flags.serial} was issued here`);
        if (entry.status === 'revoked')
          return fail(io, setExitCode, 'the certificate is already revoked; revocation is final');
        await inTransaction(context.db, (trx) =>
          revokeInTransaction(trx, context, {
            serials: [entry.serial],
            reason: flags.reason,
            actor: 'cli',
            why: flags.why,
          }),
        );
        io.stdout.write(
          `${flags.reason === 'certificateHold' ? 'suspended' : 'revoked'} ${entry.serial} (${flags.reason})\n`,
        );
      });
    });

  pki
    .command('resume')
    .description('lift a suspension (一時停止の解除)')
    .option('--data <dir>', 'data directory', './.openmyna')
    .option(...DB_OPTION)
    .requiredOption('--serial <hex>', 'serial number (hex)')
    .action(async (flags: { data: string; db?: string; serial: string }) => {
      await withIssuerRegistry(data(flags), flags.db, async (context) => {
        const entry = await findCertificate(context, flags.serial);
        if (entry?.status !== 'suspended') return fail(io, setExitCode, 'only a suspended certificate can be resumed');
        await inTransaction(context.db, (trx) =>
          resumeInTransaction(trx, context, {
            serials: [entry.serial],
            actor: 'cli',
            why: 'resumed with openmyna pki resume',
          }),
        );
        io.stdout.write(`resumed ${entry.serial}\n`);
      });
    });

  pki
    .command('crl')
    .description("write the CRL partition of one municipality from the issuer's registry (DER, or PEM with --pem)")
    .option('--data <dir>', 'data directory', './.openmyna')
    .option(...DB_OPTION)
    .requiredOption('--hierarchy <name>', 'signing or authentication', hierarchyOption)
    .requiredOption('--municipality <code>', '5-digit municipality code of the partition', (value: string) => {
      if (/^\d{5}$/.test(value)) return value;
      throw new InvalidArgumentError('must be a 5-digit municipality code');
    })
    .requiredOption('--out <file>', 'output file')
    .option('--pem', 'write PEM instead of DER')
    .action(
      async (flags: {
        data: string;
        db?: string;
        hierarchy: Hierarchy;
        municipality: string;
        out: string;
        pem?: boolean;
      }) => {
        const dir = data(flags);
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
      },
    );

  pki
    .command('ocsp-serve')
    .description(
      "run only the OCSP responders (POST and GET) at /ocsp/signing and /ocsp/authentication over the issuer's registry (`issuer serve` runs them with everything else)",
    )
    .option('--data <dir>', 'data directory', './.openmyna')
    .option(...DB_OPTION)
    .option('--port <port>', 'TCP port on 127.0.0.1', integerOption('--port', 0, 65535), 8080)
    .action(async (flags: { data: string; db?: string; port: number }) => {
      const dir = data(flags);
      const authorities = {
        signing: await loadAuthorityWithResponder(dir, 'signing'),
        authentication: await loadAuthorityWithResponder(dir, 'authentication'),
      };
      await withIssuerRegistry(dir, flags.db, async (context) => {
        // Answers are re-read from the registry at least every 60 s, so a revocation shows within a minute.
        const services = new RevocationServices(context, authorities);
        const server = createServer((request, response) => {
          void serveOcsp(request, response, services).catch((error: unknown) => {
            // A client that went away mid-body (or any request that failed) costs that request only.
            io.stderr.write(`openmyna: an OCSP request failed: ${(error as Error).message}\n`);
            if (!response.headersSent) response.writeHead(request.destroyed ? 400 : 500).end();
            else response.destroy();
          });
        });
        // Slow clients are cut off instead of holding connections open.
        server.headersTimeout = 10_000;
        server.requestTimeout = 30_000;
        await new Promise<void>((ready) => server.listen(flags.port, '127.0.0.1', ready));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : flags.port;
        io.stdout.write(
          `OCSP responders on http://127.0.0.1:${port}/ocsp/signing and /ocsp/authentication (Ctrl-C stops)\n`,
        );
        await new Promise<void>((stopped) => {
          const stop = () => server.close(() => stopped());
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
    });

  registerVerifyCommand(pki, io, setExitCode);

  pki
    .command('verify-cms')
    .description(
      'verify a JPKI signature (CMS) as a relying party must: the signer chains to a 署名用 root, with nonRepudiation and the signing policy, not revoked; prints every named check (exit 0 valid, 1 not, 4 revocation unknown)',
    )
    .requiredOption('--sig <file>', 'the CMS SignedData (DER or PEM)')
    .option('--in <file>', 'the signed data, for a detached signature')
    .option('--trust <files...>', "signing-hierarchy roots (PEM/DER); default: the data directory's 署名用 root")
    .option(
      '--policy <oid>',
      `the certificate policy the signer must carry (default: the data directory's signing CA's, else ${OPENMYNA_POLICY_OIDS.signing})`,
    )
    .option('--data <dir>', 'data directory', './.openmyna')
    .option(
      '--crl <files...>',
      "CRLs to check revocation with, instead of asking the certificate's OCSP responder and CRL URI",
    )
    .option('--offline', 'do not check revocation at all (reported as not checked)')
    .option('--at <time>', 'validation time (ISO 8601; default now)')
    .addHelpText(
      'after',
      [
        '',
        "Revocation is checked by default: OCSP at the certificate's AIA, then its CRL partition. When neither",
        'answers, the result is "status-unknown" (exit 4), never valid. A certificate of the 利用者証明用',
        '(authentication) hierarchy is refused: it cannot sign documents.',
      ].join('\n'),
    )
    .action(
      async (flags: {
        sig: string;
        in?: string;
        trust?: string[];
        policy?: string;
        data: string;
        crl?: string[];
        offline?: boolean;
        at?: string;
      }) => {
        const signature = derFromPemOrDer(new Uint8Array(await readFile(resolve(io.cwd, flags.sig))), 'CMS');
        const content = flags.in ? new Uint8Array(await readFile(resolve(io.cwd, flags.in))) : undefined;
        const time = flags.at ? new Date(flags.at) : new Date();
        if (Number.isNaN(time.getTime())) return fail(io, setExitCode, '--at is not a time', EXIT.usage);
        if (flags.offline && flags.crl)
          return fail(io, setExitCode, '--offline and --crl exclude each other', EXIT.usage);
        const trustFiles = flags.trust ?? [resolve(pkiDir(data(flags)), 'signing', 'ca.pem')];
        const anchors = [];
        for (const file of trustFiles) {
          const bytes = new Uint8Array(await readFile(resolve(io.cwd, file)));
          for (const der of bytes[0] === 0x30 ? [bytes] : fromPem(new TextDecoder().decode(bytes), 'CERTIFICATE'))
            anchors.push(trustAnchor(der));
        }
        const crls: X509Crl[] = [];
        for (const file of flags.crl ?? [])
          crls.push(parseCrl(derFromPemOrDer(new Uint8Array(await readFile(resolve(io.cwd, file))), 'X509 CRL')));
        const policy =
          flags.policy ??
          (await hierarchyPolicies(data(flags)).then(
            (policies) => policies.signing,
            () => OPENMYNA_POLICY_OIDS.signing,
          ));
        const clock = () => time;
        const revocation: JpkiTrust['revocation'] = flags.offline
          ? 'not-checked'
          : flags.crl
            ? {
                check: (certificate, issuer) =>
                  crlStatus({ certificate, issuer, candidates: [], crls, time, backend: nodeCryptoBackend }),
                sourceOf: () => 'crl',
              }
            : jpkiRevocation({ fetch, clock, backend: nodeCryptoBackend, cacheSeconds: 0 });
        const verification = await verifyJpkiSignature(
          {
            anchors: { signing: anchors, authentication: [] },
            policies: { signing: policy, authentication: policy },
            revocation,
            clock,
            backend: nodeCryptoBackend,
          },
          { kind: 'cms', signedData: signature, ...(content ? { detachedContent: content } : {}) },
          { time },
        );
        for (const check of verification.checks)
          io.stdout.write(`${check.status.padEnd(7)} ${check.check}${check.reason ? `  (${check.reason})` : ''}\n`);
        if (flags.offline && verification.status !== 'invalid')
          io.stdout.write('revocation not checked (--offline): the signer may have been revoked\n');
        io.stdout.write(`${verification.status}\n`);
        setExitCode(
          verification.status === 'valid'
            ? EXIT.ok
            : verification.status === 'status-unknown'
              ? EXIT.statusUnknown
              : EXIT.invalid,
        );
      },
    );
}

/** Certificates from PEM (one or more blocks) or DER files. */
async function readCertificateFiles(io: CliIo, files: readonly string[]): Promise<Uint8Array[]> {
  const certificates: Uint8Array[] = [];
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(resolve(io.cwd, file)));
    certificates.push(...(bytes[0] === 0x30 ? [bytes] : fromPem(new TextDecoder().decode(bytes), 'CERTIFICATE')));
  }
  return certificates;
}

/** `openmyna pki verify`: RFC 5280 path validation with its policy inputs, as `openssl verify` offers. */
function registerVerifyCommand(pki: Command, io: CliIo, setExitCode: (code: number) => void): void {
  pki
    .command('verify')
    .description(
      'validate a certificate path (RFC 5280 §6.1) to the given trust anchors, with policy processing, name constraints and revocation; prints every named check and the policies the path is valid for (exit 0 valid, 1 not, 4 revocation unknown)',
    )
    .requiredOption('--cert <file>', 'the end-entity certificate (PEM or DER)')
    .requiredOption('--trust <files...>', 'trust anchor certificates (PEM, possibly several per file, or DER)')
    .option('--untrusted <files...>', 'intermediate certificates that may complete the path')
    .option('--crl <files...>', "CRLs to check revocation with, instead of the certificate's OCSP and CRL pointers")
    .option('--offline', 'do not check revocation at all (reported as not checked)')
    .option('--policy <oids...>', 'user-initial-policy-set (default anyPolicy)')
    .option('--explicit-policy', 'initial-explicit-policy: the path must be valid for one of the --policy OIDs')
    .option('--inhibit-policy-mapping', 'initial-policy-mapping-inhibit')
    .option('--inhibit-any-policy', 'initial-any-policy-inhibit')
    .option('--at <time>', 'validation time (ISO 8601; default now)')
    .action(
      async (flags: {
        cert: string;
        trust: string[];
        untrusted?: string[];
        crl?: string[];
        offline?: boolean;
        policy?: string[];
        explicitPolicy?: boolean;
        inhibitPolicyMapping?: boolean;
        inhibitAnyPolicy?: boolean;
        at?: string;
      }) => {
        const time = flags.at ? new Date(flags.at) : new Date();
        if (Number.isNaN(time.getTime())) return fail(io, setExitCode, '--at is not a time', EXIT.usage);
        if (flags.offline && flags.crl)
          return fail(io, setExitCode, '--offline and --crl exclude each other', EXIT.usage);
        const badPolicy = flags.policy?.find((oid) => !/^[0-2](\.(0|[1-9]\d*))+$/.test(oid));
        if (badPolicy !== undefined)
          return fail(io, setExitCode, `--policy ${badPolicy} is not a dotted OID`, EXIT.usage);
        const [leaf] = await readCertificateFiles(io, [flags.cert]);
        if (!leaf) return fail(io, setExitCode, `${flags.cert} holds no certificate`, EXIT.usage);
        const anchors = (await readCertificateFiles(io, flags.trust)).map(trustAnchor);
        const intermediates = (await readCertificateFiles(io, flags.untrusted ?? [])).map(parseCertificate);
        const crls: X509Crl[] = [];
        for (const file of flags.crl ?? [])
          crls.push(parseCrl(derFromPemOrDer(new Uint8Array(await readFile(resolve(io.cwd, file))), 'X509 CRL')));
        const online = !flags.offline && !flags.crl;
        const result = await validatePath({
          certificate: parseCertificate(leaf),
          intermediates,
          trustAnchors: anchors,
          time,
          crls,
          checkRevocation: !flags.offline,
          ...(online
            ? {
                revocation: jpkiRevocation({ fetch, clock: () => time, backend: nodeCryptoBackend, cacheSeconds: 0 })
                  .check,
              }
            : {}),
          backend: nodeCryptoBackend,
          ...(flags.policy ? { initialPolicySet: flags.policy } : {}),
          initialExplicitPolicy: flags.explicitPolicy === true,
          initialPolicyMappingInhibit: flags.inhibitPolicyMapping === true,
          initialAnyPolicyInhibit: flags.inhibitAnyPolicy === true,
        });
        for (const check of result.checks)
          io.stdout.write(`${check.status.padEnd(7)} ${check.check}${check.reason ? `  (${check.reason})` : ''}\n`);
        if (result.status !== 'invalid')
          io.stdout.write(`policies: ${result.userConstrainedPolicySet.join(' ') || '(none)'}\n`);
        if (flags.offline && result.status !== 'invalid')
          io.stdout.write('revocation not checked (--offline): a certificate of the path may have been revoked\n');
        io.stdout.write(`${result.status}\n`);
        setExitCode(
          result.status === 'valid' ? EXIT.ok : result.status === 'status-unknown' ? EXIT.statusUnknown : EXIT.invalid,
        );
      },
    );
}

async function serveOcsp(
  request: IncomingMessage,
  response: ServerResponse,
  services: RevocationServices,
): Promise<void> {
  const match = /^\/ocsp\/(signing|authentication)(?:\/(.*))?$/.exec(request.url ?? '');
  const hierarchy = match?.[1] as Hierarchy | undefined;
  if (!hierarchy) {
    response.writeHead(404).end();
    return;
  }
  let body: Uint8Array;
  if (request.method === 'GET' && match?.[2]) body = await services.ocsp(hierarchy, match[2]);
  else if (request.method === 'POST') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) {
        response.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    body = await services.ocsp(hierarchy, new Uint8Array(Buffer.concat(chunks)));
  } else {
    response.writeHead(405, { allow: 'GET, POST' }).end();
    return;
  }
  response.writeHead(200, {
    'content-type': 'application/ocsp-response',
    'content-length': body.length,
    'cache-control': 'max-age=60, public',
  });
  response.end(body);
}

function fail(io: CliIo, setExitCode: (code: number) => void, message: string, code: number = EXIT.failure): void {
  io.stderr.write(`openmyna: ${message}\n`);
  setExitCode(code);
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}
