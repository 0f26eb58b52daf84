import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';

import { basicFourInfoOf, calendarDateInJapan, cardExpiryDate, generatePerson, parseIsoDate } from '@openmyna/core';
import {
  CRL_REASON,
  derFromPemOrDer,
  fromPem,
  OcspResponder,
  parseCertificate,
  parseCrl,
  prepareCrl,
  signCrl,
  toPem,
  trustAnchor,
  validatePath,
  verifyCmsSignature,
  type CheckResult,
  type CrlReasonName,
  type Hierarchy,
} from '@openmyna/pki';
import { InvalidArgumentError, type Command } from 'commander';
import { bytesToHex } from '@noble/hashes/utils.js';

import { EXIT, type CliIo } from '../io.js';
import { integerOption, personOption } from '../options.js';
import {
  initHierarchies,
  HIERARCHIES,
  loadAuthority,
  loadResponder,
  pkiDir,
  readRegistry,
  writeRegistry,
} from '../pki-store.js';

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
      await writeRegistry(dir, { certificates: [], crlNumbers: {} });
      io.stdout.write(`Created the signing and authentication CAs in ${pkiDir(dir)}\n`);
    });

  pki
    .command('issue')
    .description(
      'issue a JPKI certificate to a person of the demo population; the key comes from a CSR, everything else from the registry',
    )
    .option('--data <dir>', 'data directory', './.openmyna')
    .requiredOption('--person <id>', 'person id from the population (e.g. P0000003)', personOption)
    .requiredOption('--csr <file>', 'PKCS#10 request signed by the subject key (proof of possession), PEM or DER')
    .requiredOption('--hierarchy <name>', 'signing or authentication', hierarchyOption)
    .option('--seed <seed>', 'population seed (default: the sandbox seed)', 'openmyna-sandbox')
    .option('--out <file>', 'write the PEM certificate here instead of standard output')
    .action(
      async (flags: {
        data: string;
        person: number;
        csr: string;
        hierarchy: Hierarchy;
        seed: string;
        out?: string;
      }) => {
        const dir = data(flags);
        const person = generatePerson({ seed: flags.seed }, flags.person);
        const ca = await loadAuthority(dir, flags.hierarchy);
        const certificationRequest = derFromPemOrDer(
          new Uint8Array(await readFile(resolve(io.cwd, flags.csr))),
          'CERTIFICATE REQUEST',
        );
        // Read first: a certificate is signed only when its record can be kept (it could not be revoked otherwise).
        const registry = await readRegistry(dir);
        const issuedAt = new Date();
        // Proof of possession first; then only the key is taken from the request.
        const der = await ca.issueFromRequest({
          profile: flags.hierarchy === 'signing' ? 'jpki-signing' : 'jpki-authentication',
          certificationRequest,
          holder: {
            basicFourInfo: basicFourInfoOf(person),
            municipalityCode: person.municipalityCode,
            prefecture: person.prefecture,
            municipality: person.municipality,
            cardExpiry: cardExpiryDate(parseIsoDate(person.birthDate), calendarDateInJapan(issuedAt)),
          },
          issuedAt,
        });
        const certificate = parseCertificate(der);
        registry.certificates.push({
          serialNumber: bytesToHex(certificate.serialNumber),
          hierarchy: flags.hierarchy,
          personId: person.id,
          municipalityCode: person.municipalityCode,
          notAfter: certificate.notAfter.toISOString(),
          status: 'good',
        });
        await writeRegistry(dir, registry);
        const pem = toPem(der, 'CERTIFICATE');
        if (flags.out) await writeFile(resolve(io.cwd, flags.out), pem);
        else io.stdout.write(pem);
        io.stderr.write(
          `issued ${flags.hierarchy} certificate ${bytesToHex(certificate.serialNumber)} to ${person.id}\n`,
        );
      },
    );

  pki
    .command('revoke')
    .description('revoke a certificate, or suspend it (--reason certificateHold); `pki resume` lifts a suspension')
    .option('--data <dir>', 'data directory', './.openmyna')
    .requiredOption('--serial <hex>', 'serial number (hex)')
    .option('--reason <reason>', 'CRLReason', reasonOption, 'unspecified' as CrlReasonName)
    .action(async (flags: { data: string; serial: string; reason: CrlReasonName }) => {
      const dir = data(flags);
      const registry = await readRegistry(dir);
      const entry = registry.certificates.find((item) => item.serialNumber === flags.serial.toLowerCase());
      if (!entry) return fail(io, setExitCode, `no certificate with serial ${flags.serial} was issued here`);
      if (entry.status === 'revoked')
        return fail(io, setExitCode, 'the certificate is already revoked; revocation is final');
      entry.status = flags.reason === 'certificateHold' ? 'suspended' : 'revoked';
      entry.revocationDate = new Date().toISOString();
      entry.reason = flags.reason;
      await writeRegistry(dir, registry);
      io.stdout.write(`${entry.status} ${entry.serialNumber} (${flags.reason})\n`);
    });

  pki
    .command('resume')
    .description('lift a suspension (一時停止の解除)')
    .option('--data <dir>', 'data directory', './.openmyna')
    .requiredOption('--serial <hex>', 'serial number (hex)')
    .action(async (flags: { data: string; serial: string }) => {
      const dir = data(flags);
      const registry = await readRegistry(dir);
      const entry = registry.certificates.find((item) => item.serialNumber === flags.serial.toLowerCase());
      if (entry?.status !== 'suspended') return fail(io, setExitCode, 'only a suspended certificate can be resumed');
      entry.status = 'good';
      delete entry.revocationDate;
      delete entry.reason;
      await writeRegistry(dir, registry);
      io.stdout.write(`resumed ${entry.serialNumber}\n`);
    });

  pki
    .command('crl')
    .description('write the CRL partition of one municipality (DER, or PEM with --pem)')
    .option('--data <dir>', 'data directory', './.openmyna')
    .requiredOption('--hierarchy <name>', 'signing or authentication', hierarchyOption)
    .requiredOption('--municipality <code>', '5-digit municipality code of the partition')
    .requiredOption('--out <file>', 'output file')
    .option('--pem', 'write PEM instead of DER')
    .option('--hours <n>', 'validity (nextUpdate − thisUpdate)', integerOption('--hours', 1, 24 * 14), 24)
    .action(
      async (flags: {
        data: string;
        hierarchy: Hierarchy;
        municipality: string;
        out: string;
        pem?: boolean;
        hours: number;
      }) => {
        const dir = data(flags);
        const ca = await loadAuthority(dir, flags.hierarchy);
        const registry = await readRegistry(dir);
        const key = `${flags.hierarchy}/${flags.municipality}`;
        const crlNumber = BigInt(registry.crlNumbers[key] ?? '0') + 1n;
        const entries = registry.certificates
          .filter(
            (item) =>
              item.hierarchy === flags.hierarchy &&
              item.municipalityCode === flags.municipality &&
              item.status !== 'good',
          )
          .map((item) => ({
            serialNumber: item.serialNumber,
            revocationDate: new Date(item.revocationDate!),
            reason: item.reason!,
          }));
        const now = new Date();
        const crl = await signCrl(
          prepareCrl({
            ca,
            municipalityCode: flags.municipality,
            entries,
            thisUpdate: now,
            nextUpdate: new Date(now.getTime() + flags.hours * 3_600_000),
            crlNumber,
          }),
          ca,
        );
        registry.crlNumbers[key] = crlNumber.toString();
        await writeRegistry(dir, registry);
        await writeFile(resolve(io.cwd, flags.out), flags.pem ? toPem(crl, 'X509 CRL') : crl);
        io.stderr.write(`CRL ${key} number ${crlNumber} with ${entries.length} entries → ${flags.out}\n`);
      },
    );

  pki
    .command('ocsp-serve')
    .description('run the OCSP responders (POST and GET) at /ocsp/signing and /ocsp/authentication')
    .option('--data <dir>', 'data directory', './.openmyna')
    .option('--port <port>', 'TCP port on 127.0.0.1', integerOption('--port', 0, 65535), 8080)
    .action(async (flags: { data: string; port: number }) => {
      const dir = data(flags);
      const responders = new Map<Hierarchy, OcspResponder>();
      for (const hierarchy of HIERARCHIES) {
        const ca = await loadAuthority(dir, hierarchy);
        const responder = await loadResponder(dir, hierarchy);
        responders.set(
          hierarchy,
          new OcspResponder({
            issuerCertificate: ca.certificate,
            responderCertificate: responder.certificate,
            responderSigner: responder.signer,
            // The registry file is re-read per lookup, so revocations by `pki revoke` show at once.
            statusSource: async (serial) => {
              const entry = (await readRegistry(dir)).certificates.find(
                (item) => item.serialNumber === serial && item.hierarchy === hierarchy,
              );
              if (!entry) return { status: 'never-issued' };
              if (entry.status === 'revoked')
                return { status: 'revoked', revocationTime: new Date(entry.revocationDate!), reason: entry.reason! };
              if (entry.status === 'suspended') return { status: 'suspended', since: new Date(entry.revocationDate!) };
              return { status: 'good' };
            },
            validitySeconds: 3600,
            // Pre-produced answers are kept at most a minute, so a revocation shows within 60 s.
            refreshBeforeSeconds: 3540,
          }),
        );
      }
      const server = createServer((request, response) => void serveOcsp(request, response, responders));
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

  pki
    .command('verify-cms')
    .description('verify a CMS signature and its signer chain, printing every named check (exit 0 valid, 1 not)')
    .requiredOption('--sig <file>', 'the CMS SignedData (DER or PEM)')
    .option('--in <file>', 'the signed data, for a detached signature')
    .option('--trust <files...>', "trust anchor certificates (PEM/DER); default: the data directory's roots")
    .option('--data <dir>', 'data directory', './.openmyna')
    .option('--crl <files...>', 'CRLs to check revocation with (otherwise revocation is not checked)')
    .option('--at <time>', 'validation time (ISO 8601; default now)')
    .action(
      async (flags: { sig: string; in?: string; trust?: string[]; data: string; crl?: string[]; at?: string }) => {
        const signature = derFromPemOrDer(new Uint8Array(await readFile(resolve(io.cwd, flags.sig))), 'CMS');
        const content = flags.in ? new Uint8Array(await readFile(resolve(io.cwd, flags.in))) : undefined;
        const time = flags.at ? new Date(flags.at) : new Date();
        if (Number.isNaN(time.getTime())) return fail(io, setExitCode, '--at is not a time', EXIT.usage);
        const trustFiles =
          flags.trust ?? HIERARCHIES.map((hierarchy) => resolve(pkiDir(data(flags)), hierarchy, 'ca.pem'));
        const anchors = [];
        for (const file of trustFiles) {
          const bytes = new Uint8Array(await readFile(resolve(io.cwd, file)));
          for (const der of bytes[0] === 0x30 ? [bytes] : fromPem(new TextDecoder().decode(bytes), 'CERTIFICATE'))
            anchors.push(trustAnchor(der));
        }
        const cms = await verifyCmsSignature({
          signedData: signature,
          ...(content ? { detachedContent: content } : {}),
        });
        const checks: CheckResult[] = [...cms.checks];
        let status = cms.status;
        if (cms.signer && status === 'valid') {
          const crls = [];
          for (const file of flags.crl ?? [])
            crls.push(parseCrl(derFromPemOrDer(new Uint8Array(await readFile(resolve(io.cwd, file))), 'X509 CRL')));
          const path = await validatePath({
            certificate: cms.signer,
            intermediates: cms.certificates,
            trustAnchors: anchors,
            time,
            ...(flags.crl ? { crls } : { checkRevocation: false }),
          });
          checks.push(...path.checks);
          status = path.status;
        }
        for (const check of checks)
          io.stdout.write(`${check.status.padEnd(7)} ${check.check}${check.reason ? `  (${check.reason})` : ''}\n`);
        io.stdout.write(`${status}\n`);
        setExitCode(status === 'valid' ? EXIT.ok : EXIT.invalid);
      },
    );
}

async function serveOcsp(
  request: IncomingMessage,
  response: ServerResponse,
  responders: Map<Hierarchy, OcspResponder>,
): Promise<void> {
  const match = /^\/ocsp\/(signing|authentication)(?:\/(.*))?$/.exec(request.url ?? '');
  const responder = match ? responders.get(match[1] as Hierarchy) : undefined;
  if (!responder) {
    response.writeHead(404).end();
    return;
  }
  let body: Uint8Array;
  if (request.method === 'GET' && match?.[2]) body = await responder.respondToGet(match[2]);
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
    body = await responder.respond(new Uint8Array(Buffer.concat(chunks)));
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
