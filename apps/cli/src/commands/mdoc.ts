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
} from '@openmyna/core';
import {
  cardFaceElements,
  createDeviceResponse,
  decodeCbor,
  decodeIssuedMdoc,
  ecPublicKeyFromJwk,
  issueMdoc,
  MNC_DOCTYPE,
  mdocTrustAnchor,
  sessionTranscriptFromBytes,
  sessionTranscriptFromTaggedBytes,
  statusListChecker,
  Tagged,
  verifyDeviceResponse,
  type CborValue,
  type MdocTrustAnchor,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { derFromPemOrDer } from '@openmyna/pki';
import type { Command } from 'commander';

import { EXIT, maskMyNumber, type CliIo } from '../io.js';
import { loadMdocIssuer } from '../mdoc-store.js';
import { integerOption, personOption } from '../options.js';
import { writeAtomically } from '../pki-store.js';

const DAY = 86_400_000;
const crypto = nodeMdocCrypto;

/** `openmyna mdoc …` */
export function registerMdocCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const mdoc = program
    .command('mdoc')
    .description('the card face as an ISO/IEC 18013-5 mdoc (org.iso.23220.1.jp.mnc): issue, present, verify');

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
    .action(
      async (flags: {
        person: number;
        deviceKey: string;
        out: string;
        data: string;
        seed: string;
        validityDays: number;
        statusUri?: string;
        statusIndex?: number;
      }) => {
        if ((flags.statusUri === undefined) !== (flags.statusIndex === undefined)) {
          io.stderr.write('openmyna: --status-uri and --status-index go together\n');
          return setExitCode(EXIT.usage);
        }
        const deviceKey = ecPublicKeyFromJwk(
          JSON.parse(await readFile(resolve(io.cwd, flags.deviceKey), 'utf8')) as JsonWebKey,
        );
        const issuer = await loadMdocIssuer(resolve(io.cwd, flags.data));
        const person = generatePerson({ seed: flags.seed }, flags.person);
        const now = new Date();
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
          crypto,
        });
        await writeAtomically(resolve(io.cwd, flags.out), issued.bytes);
        io.stdout.write(
          [
            `Issued ${MNC_DOCTYPE} to ${person.id} (My Number ${maskMyNumber(person.myNumber)}) → ${flags.out}`,
            `  valid until  ${new Date(now.getTime() + flags.validityDays * DAY).toISOString()}`,
            `  trust anchor ${resolve(io.cwd, flags.data, 'pki/mdoc/iaca.pem')}`,
            '',
          ].join('\n'),
        );
      },
    );

  mdoc
    .command('present')
    .description(
      'answer a session transcript with a DeviceResponse releasing only the named elements (signed by the device key)',
    )
    .requiredOption('--mdoc <file>', 'the mdoc from `openmyna mdoc issue`')
    .requiredOption('--device-key <file>', 'the device private key: a P-256 JWK (JSON)')
    .requiredOption('--transcript <file>', 'the SessionTranscript (CBOR; bare or as #6.24 bytes)')
    .requiredOption(
      '--elements <list>',
      'comma-separated namespace/element, e.g. org.iso.23220.1.jp/full_name_unicode,org.iso.23220.1/age_over_20',
    )
    .requiredOption('--out <file>', 'where to write the DeviceResponse (CBOR)')
    .action(async (flags: { mdoc: string; deviceKey: string; transcript: string; elements: string; out: string }) => {
      const issued = decodeIssuedMdoc(new Uint8Array(await readFile(resolve(io.cwd, flags.mdoc))));
      const release = new Map<string, Set<string>>();
      for (const entry of flags.elements.split(',')) {
        const cut = entry.lastIndexOf('/');
        if (cut <= 0) {
          io.stderr.write(`openmyna: "${entry}" is not namespace/element\n`);
          return setExitCode(EXIT.usage);
        }
        release.set(entry.slice(0, cut), (release.get(entry.slice(0, cut)) ?? new Set()).add(entry.slice(cut + 1)));
      }
      const response = await createDeviceResponse({
        issued,
        release,
        sessionTranscript: await readTranscript(resolve(io.cwd, flags.transcript)),
        deviceKey: await crypto.importEcPrivateKey(
          JSON.parse(await readFile(resolve(io.cwd, flags.deviceKey), 'utf8')) as JsonWebKey,
        ),
        mode: { type: 'signature' },
        crypto,
      });
      await writeAtomically(resolve(io.cwd, flags.out), response);
      io.stdout.write(
        `Wrote a DeviceResponse releasing ${[...release.values()].reduce((n, set) => n + set.size, 0)} elements → ${flags.out}\n`,
      );
    });

  mdoc
    .command('verify')
    .description(
      'verify a DeviceResponse against a session transcript and print every named check (ISO/IEC 18013-5 §9.3)',
    )
    .requiredOption('--response <file>', 'the DeviceResponse (CBOR)')
    .requiredOption('--transcript <file>', 'the SessionTranscript (CBOR; bare or as #6.24 bytes)')
    .option('--trust <file...>', "IACA certificates to trust (PEM or DER); default: the data directory's IACA")
    .option('--data <dir>', 'data directory (for the default trust anchor)', './.openmyna')
    .option('--doctype <docType>', 'the docType asked for', MNC_DOCTYPE)
    .option('--at <time>', 'verify as of this time (ISO 8601), e.g. for old responses')
    .option('--no-status', 'do not fetch the status list (revocation is then reported as unknown)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 valid, 1 invalid (the deciding check is named), 4 valid but revocation status unknown.',
    )
    .action(
      async (flags: {
        response: string;
        transcript: string;
        trust?: string[];
        data: string;
        doctype: string;
        at?: string;
        status: boolean;
        json?: boolean;
      }) => {
        const time = flags.at ? new Date(flags.at) : new Date();
        if (Number.isNaN(time.getTime())) {
          io.stderr.write('openmyna: --at is not an ISO 8601 time\n');
          return setExitCode(EXIT.usage);
        }
        const anchors = await trustAnchors(io, flags);
        const result = await verifyDeviceResponse({
          response: new Uint8Array(await readFile(resolve(io.cwd, flags.response))),
          sessionTranscript: await readTranscript(resolve(io.cwd, flags.transcript)),
          issuerAnchors: anchors,
          time,
          crypto,
          docType: flags.doctype,
          ...(flags.status
            ? {
                status: statusListChecker({
                  fetch: (url, init) => fetch(url, init),
                  anchors,
                  crypto,
                  clock: () => time,
                }),
              }
            : {}),
        });
        const { summary } = result;
        const elements = result.documents.flatMap((document) =>
          [...document.elements].flatMap(([nameSpace, values]) =>
            [...values].map(([id, value]) => ({ nameSpace, id, value: describe(id, value) })),
          ),
        );
        if (flags.json) {
          io.stdout.write(
            JSON.stringify(
              { status: summary.status, decidedBy: summary.decidedBy, checks: summary.checks, elements },
              null,
              2,
            ) + '\n',
          );
        } else {
          const lines = summary.checks.map(
            (check) => `  ${check.status.padEnd(7)} ${check.check}${check.reason ? `  (${check.reason})` : ''}`,
          );
          lines.unshift(`${summary.status}${summary.decidedBy ? ` — decided by ${summary.decidedBy.check}` : ''}`);
          if (elements.length)
            lines.push('Disclosed elements', ...elements.map((e) => `  ${e.nameSpace} ${e.id} = ${e.value}`));
          io.stdout.write(lines.join('\n') + '\n');
        }
        setExitCode(
          summary.status === 'valid' ? EXIT.ok : summary.status === 'invalid' ? EXIT.invalid : EXIT.statusUnknown,
        );
      },
    );
}

/** Reads a transcript given bare or as `#6.24(bstr)` (as ISO/IEC 18013-5 Annex D prints it). */
async function readTranscript(path: string) {
  const bytes = new Uint8Array(await readFile(path));
  return decodeCbor(bytes, 'SessionTranscript') instanceof Tagged
    ? sessionTranscriptFromTaggedBytes(bytes)
    : sessionTranscriptFromBytes(bytes);
}

async function trustAnchors(io: CliIo, flags: { trust?: string[]; data: string }): Promise<MdocTrustAnchor[]> {
  if (flags.trust?.length) {
    return Promise.all(
      flags.trust.map(async (file) =>
        mdocTrustAnchor(derFromPemOrDer(new Uint8Array(await readFile(resolve(io.cwd, file))), 'CERTIFICATE')),
      ),
    );
  }
  const path = resolve(io.cwd, flags.data, 'pki/mdoc/iaca.pem');
  return [mdocTrustAnchor(derFromPemOrDer(new Uint8Array(await readFile(path)), 'CERTIFICATE'))];
}

/** A printable value: the My Number masked, images by size, dates as text. */
function describe(id: string, value: CborValue): string {
  if (id === 'individual_number_unicode' && typeof value === 'string') return maskMyNumber(value);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Tagged) return String(value.value);
  return JSON.stringify(value);
}
