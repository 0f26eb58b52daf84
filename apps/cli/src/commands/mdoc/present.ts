import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { createDeviceResponse, decodeIssuedMdoc } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import type { Command } from 'commander';

import { EXIT, fail, type CliIo, type SetExitCode } from '../../io.js';
import { writeAtomically } from '../../pki-store.js';
import { readTranscript } from './session-transcript.js';

interface MdocPresentFlags {
  mdoc: string;
  deviceKey: string;
  transcript: string;
  elements: string;
  out: string;
}

/** `openmyna mdoc present` */
export function registerMdocPresentCommand(mdoc: Command, io: CliIo, setExitCode: SetExitCode): void {
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
    .action(async (flags: MdocPresentFlags) => {
      const issued = decodeIssuedMdoc(new Uint8Array(await readFile(resolve(io.cwd, flags.mdoc))));
      const release = releaseOf(flags.elements);
      if (typeof release === 'string')
        return fail(io, setExitCode, `"${release}" is not namespace/element`, EXIT.usage);
      const response = await createDeviceResponse({
        issued,
        release,
        sessionTranscript: await readTranscript(resolve(io.cwd, flags.transcript)),
        deviceKey: await nodeMdocCrypto.importEcPrivateKey(
          JSON.parse(await readFile(resolve(io.cwd, flags.deviceKey), 'utf8')) as JsonWebKey,
        ),
        mode: { type: 'signature' },
        crypto: nodeMdocCrypto,
      });
      await writeAtomically(resolve(io.cwd, flags.out), response);
      const count = [...release.values()].reduce((n, set) => n + set.size, 0);
      io.stdout.write(`Wrote a DeviceResponse releasing ${count} elements → ${flags.out}\n`);
    });
}

/** The elements to release by namespace, or the first entry that is not `namespace/element`. */
function releaseOf(list: string): Map<string, Set<string>> | string {
  const release = new Map<string, Set<string>>();
  for (const entry of list.split(',')) {
    const cut = entry.lastIndexOf('/');
    if (cut <= 0) return entry;
    release.set(entry.slice(0, cut), (release.get(entry.slice(0, cut)) ?? new Set()).add(entry.slice(cut + 1)));
  }
  return release;
}
