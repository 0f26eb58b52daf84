import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { derFromPemOrDer, fromPem, parseCrl, type X509Crl } from '@openmyna/pki';

import { EXIT, fail, type CliIo, type SetExitCode } from '../../io.js';

/** Certificates from PEM (one or more blocks) or DER files. */
export async function readCertificateFiles(io: CliIo, files: readonly string[]): Promise<Uint8Array[]> {
  const certificates: Uint8Array[] = [];
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(resolve(io.cwd, file)));
    certificates.push(...(bytes[0] === 0x30 ? [bytes] : fromPem(new TextDecoder().decode(bytes), 'CERTIFICATE')));
  }
  return certificates;
}

/** CRLs from PEM or DER files. */
export async function readCrlFiles(io: CliIo, files: readonly string[]): Promise<X509Crl[]> {
  const crls: X509Crl[] = [];
  for (const file of files)
    crls.push(parseCrl(derFromPemOrDer(new Uint8Array(await readFile(resolve(io.cwd, file))), 'X509 CRL')));
  return crls;
}

/** The flags every verification command shares. */
export interface RevocationFlags {
  readonly crl?: readonly string[];
  readonly offline?: boolean;
  readonly at?: string;
}

/** The validation time of `--at` (default now), or `undefined` after reporting a usage error. */
export function validationTime(io: CliIo, setExitCode: SetExitCode, flags: RevocationFlags): Date | undefined {
  const time = flags.at ? new Date(flags.at) : new Date();
  if (Number.isNaN(time.getTime())) return fail(io, setExitCode, '--at is not a time', EXIT.usage);
  if (flags.offline && flags.crl) return fail(io, setExitCode, '--offline and --crl exclude each other', EXIT.usage);
  return time;
}

/** Prints each named check, one a line, as `status  check  (reason)`. */
export function printChecks(
  io: CliIo,
  checks: readonly { readonly check: string; readonly status: string; readonly reason?: string }[],
): void {
  for (const check of checks)
    io.stdout.write(`${check.status.padEnd(7)} ${check.check}${check.reason ? `  (${check.reason})` : ''}\n`);
}
