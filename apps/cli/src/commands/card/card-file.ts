import { readFile } from 'node:fs/promises';

import { openVirtualCard, type CardPins, type SmartCard, type VirtualCardDocument } from '@openmyna/card';
import { FileRetryCounterStore, nodeCardKey } from '@openmyna/card/node';

import { passphrase, writeAtomically } from '../../pki-store.js';

/** Demo defaults for a sandbox card; real PINs are chosen by the holder (`--auth-pin` …). */
export const DEMO_PINS: CardPins = { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' };

/** Opens a card file with its retry counters in `<file>.counters.json`; PIN changes are written back. */
export async function openCardFile(path: string, dataDir: string): Promise<SmartCard> {
  const document = JSON.parse(await readFile(path, 'utf8')) as VirtualCardDocument;
  const secret = await passphrase(dataDir, false);
  return openVirtualCard({
    document,
    passphrase: secret,
    store: (key) => new FileRetryCounterStore({ path: `${path}.counters.json`, key }),
    onSecretsChanged: (secrets) => writeAtomically(path, JSON.stringify({ ...document, secrets }, null, 2) + '\n'),
    cardKey: nodeCardKey,
  });
}
