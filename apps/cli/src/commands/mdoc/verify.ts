import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import {
  mdocTrustAnchor,
  MNC_DOCTYPE,
  statusListChecker,
  Tagged,
  verifyDeviceResponse,
  type CborValue,
  type MdocTrustAnchor,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { derFromPemOrDer } from '@openmyna/pki';
import type { Command } from 'commander';

import { type CliIo, EXIT, fail, maskMyNumber, type SetExitCode, verificationExitCode } from '../../io.js';
import { readTranscript } from './session-transcript.js';

interface MdocVerifyFlags {
  response: string;
  transcript: string;
  trust?: string[];
  data: string;
  doctype: string;
  at?: string;
  status: boolean;
  json?: boolean;
}

type DeviceResponseVerification = Awaited<ReturnType<typeof verifyDeviceResponse>>;

/** `openmyna mdoc verify` */
export function registerMdocVerifyCommand(mdoc: Command, io: CliIo, setExitCode: SetExitCode): void {
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
    .action(async (flags: MdocVerifyFlags) => {
      const time = flags.at ? new Date(flags.at) : new Date();
      if (Number.isNaN(time.getTime())) return fail(io, setExitCode, '--at is not an ISO 8601 time', EXIT.usage);
      const anchors = await trustAnchors(io, flags);
      const crypto = nodeMdocCrypto;
      const result = await verifyDeviceResponse({
        response: new Uint8Array(await readFile(resolve(io.cwd, flags.response))),
        sessionTranscript: await readTranscript(resolve(io.cwd, flags.transcript)),
        issuerAnchors: anchors,
        time,
        crypto,
        docType: flags.doctype,
        ...(flags.status
          ? {
              status: statusListChecker({ fetch: (url, init) => fetch(url, init), anchors, crypto, clock: () => time }),
            }
          : {}),
      });
      io.stdout.write(flags.json ? verificationJson(result) : verificationText(result));
      setExitCode(verificationExitCode(result.summary.status));
    });
}

function disclosedElements(result: DeviceResponseVerification) {
  return result.documents.flatMap((document) =>
    [...document.elements].flatMap(([nameSpace, values]) =>
      [...values].map(([id, value]) => ({ nameSpace, id, value: describe(id, value) })),
    ),
  );
}

function verificationJson(result: DeviceResponseVerification): string {
  const { summary } = result;
  const elements = disclosedElements(result);
  return (
    JSON.stringify(
      { status: summary.status, decidedBy: summary.decidedBy, checks: summary.checks, elements },
      null,
      2,
    ) + '\n'
  );
}

function verificationText(result: DeviceResponseVerification): string {
  const { summary } = result;
  const elements = disclosedElements(result);
  const lines = summary.checks.map(
    (check) => `  ${check.status.padEnd(7)} ${check.check}${check.reason ? `  (${check.reason})` : ''}`,
  );
  lines.unshift(`${summary.status}${summary.decidedBy ? ` — decided by ${summary.decidedBy.check}` : ''}`);
  if (elements.length)
    lines.push('Disclosed elements', ...elements.map((e) => `  ${e.nameSpace} ${e.id} = ${e.value}`));
  return lines.join('\n') + '\n';
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
