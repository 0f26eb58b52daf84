import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { crlStatus, derFromPemOrDer, trustAnchor, type X509Crl } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { jpkiRevocation, OPENMYNA_POLICY_OIDS, verifyJpkiSignature, type JpkiTrust } from '@openmyna/verifier';
import type { Command } from 'commander';

import { verificationExitCode, type CliIo, type SetExitCode } from '../../io.js';
import { hierarchyPolicies, pkiDir } from '../../pki-store.js';
import {
  printChecks,
  readCertificateFiles,
  readCrlFiles,
  validationTime,
  type RevocationFlags,
} from './certificate-files.js';
import { DATA_OPTION, dataDirOf } from './pki-options.js';

interface VerifyCmsFlags extends RevocationFlags {
  sig: string;
  in?: string;
  trust?: string[];
  policy?: string;
  data: string;
}

const REVOCATION_HELP = [
  '',
  "Revocation is checked by default: OCSP at the certificate's AIA, then its CRL partition. When neither",
  'answers, the result is "status-unknown" (exit 4), never valid. A certificate of the 利用者証明用',
  '(authentication) hierarchy is refused: it cannot sign documents.',
].join('\n');

/** `openmyna pki verify-cms`: a JPKI signature checked as a relying party must. */
export function registerVerifyCmsCommand(pki: Command, io: CliIo, setExitCode: SetExitCode): void {
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
    .option(...DATA_OPTION)
    .option(
      '--crl <files...>',
      "CRLs to check revocation with, instead of asking the certificate's OCSP responder and CRL URI",
    )
    .option('--offline', 'do not check revocation at all (reported as not checked)')
    .option('--at <time>', 'validation time (ISO 8601; default now)')
    .addHelpText('after', REVOCATION_HELP)
    .action(async (flags: VerifyCmsFlags) => {
      const signature = derFromPemOrDer(new Uint8Array(await readFile(resolve(io.cwd, flags.sig))), 'CMS');
      const content = flags.in ? new Uint8Array(await readFile(resolve(io.cwd, flags.in))) : undefined;
      const time = validationTime(io, setExitCode, flags);
      if (!time) return;
      const verification = await verifyJpkiSignature(
        await signingTrust(io, flags, time),
        { kind: 'cms', signedData: signature, ...(content ? { detachedContent: content } : {}) },
        { time },
      );
      printChecks(io, verification.checks);
      if (flags.offline && verification.status !== 'invalid')
        io.stdout.write('revocation not checked (--offline): the signer may have been revoked\n');
      io.stdout.write(`${verification.status}\n`);
      setExitCode(verificationExitCode(verification.status));
    });
}

/** The 署名用 roots, policy and revocation source the flags name. */
async function signingTrust(io: CliIo, flags: VerifyCmsFlags, time: Date): Promise<JpkiTrust> {
  const trustFiles = flags.trust ?? [resolve(pkiDir(dataDirOf(io, flags)), 'signing', 'ca.pem')];
  const anchors = (await readCertificateFiles(io, trustFiles)).map(trustAnchor);
  const crls = await readCrlFiles(io, flags.crl ?? []);
  const policy =
    flags.policy ??
    (await hierarchyPolicies(dataDirOf(io, flags)).then(
      (policies) => policies.signing,
      () => OPENMYNA_POLICY_OIDS.signing,
    ));
  const clock = () => time;
  return {
    anchors: { signing: anchors, authentication: [] },
    policies: { signing: policy, authentication: policy },
    revocation: revocationSource(flags, crls, time),
    clock,
    backend: nodeCryptoBackend,
  };
}

function revocationSource(flags: VerifyCmsFlags, crls: readonly X509Crl[], time: Date): JpkiTrust['revocation'] {
  if (flags.offline) return 'not-checked';
  if (flags.crl)
    return {
      check: (certificate, issuer) =>
        crlStatus({ certificate, issuer, candidates: [], crls: [...crls], time, backend: nodeCryptoBackend }),
      sourceOf: () => 'crl',
    };
  return jpkiRevocation({ fetch, clock: () => time, backend: nodeCryptoBackend, cacheSeconds: 0 });
}
