import { parseCertificate, trustAnchor, validatePath, type PathValidationOptions } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { jpkiRevocation } from '@openmyna/verifier';
import type { Command } from 'commander';

import { type CliIo, EXIT, fail, type SetExitCode, verificationExitCode } from '../../io.js';
import {
  printChecks,
  readCertificateFiles,
  readCrlFiles,
  validationTime,
  type RevocationFlags,
} from './certificate-files.js';

interface VerifyFlags extends RevocationFlags {
  cert: string;
  trust: string[];
  untrusted?: string[];
  policy?: string[];
  explicitPolicy?: boolean;
  inhibitPolicyMapping?: boolean;
  inhibitAnyPolicy?: boolean;
}

/** `openmyna pki verify`: RFC 5280 path validation with its policy inputs, as `openssl verify` offers. */
export function registerVerifyCommand(pki: Command, io: CliIo, setExitCode: SetExitCode): void {
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
    .action(async (flags: VerifyFlags) => {
      const options = await pathValidationOptions(io, setExitCode, flags);
      if (!options) return;
      const result = await validatePath(options);
      printChecks(io, result.checks);
      if (result.status !== 'invalid')
        io.stdout.write(`policies: ${result.userConstrainedPolicySet.join(' ') || '(none)'}\n`);
      if (flags.offline && result.status !== 'invalid')
        io.stdout.write('revocation not checked (--offline): a certificate of the path may have been revoked\n');
      io.stdout.write(`${result.status}\n`);
      setExitCode(verificationExitCode(result.status));
    });
}

/** The inputs of RFC 5280 §6.1 from the flags, or `undefined` after reporting a usage error. */
async function pathValidationOptions(
  io: CliIo,
  setExitCode: SetExitCode,
  flags: VerifyFlags,
): Promise<PathValidationOptions | undefined> {
  const time = validationTime(io, setExitCode, flags);
  if (!time) return undefined;
  const badPolicy = flags.policy?.find((oid) => !/^[0-2](\.(0|[1-9]\d*))+$/.test(oid));
  if (badPolicy !== undefined) return fail(io, setExitCode, `--policy ${badPolicy} is not a dotted OID`, EXIT.usage);
  const [leaf] = await readCertificateFiles(io, [flags.cert]);
  if (!leaf) return fail(io, setExitCode, `${flags.cert} holds no certificate`, EXIT.usage);
  const online = !flags.offline && !flags.crl;
  return {
    certificate: parseCertificate(leaf),
    trustAnchors: (await readCertificateFiles(io, flags.trust)).map(trustAnchor),
    intermediates: (await readCertificateFiles(io, flags.untrusted ?? [])).map(parseCertificate),
    time,
    crls: await readCrlFiles(io, flags.crl ?? []),
    checkRevocation: !flags.offline,
    ...(online
      ? { revocation: jpkiRevocation({ fetch, clock: () => time, backend: nodeCryptoBackend, cacheSeconds: 0 }).check }
      : {}),
    backend: nodeCryptoBackend,
    ...(flags.policy ? { initialPolicySet: flags.policy } : {}),
    initialExplicitPolicy: flags.explicitPolicy === true,
    initialPolicyMappingInhibit: flags.inhibitPolicyMapping === true,
    initialAnyPolicyInhibit: flags.inhibitAnyPolicy === true,
  };
}
