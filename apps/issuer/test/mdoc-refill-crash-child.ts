// Child process of mdoc-refill-crash.test.ts: provisions a phone with a batch of two MSOs, then refills
// it and is killed with SIGKILL at a chosen boundary of the refill. Prints "acknowledged <phone id>" only
// once the refill returned its MSOs.
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';

import { mdocRefillStatement } from '@openmyna/card';
import { ecPublicJwk } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { openDatabase } from '@openmyna/storage';

import {
  makeProvisioningAuthorities,
  registryPerson,
  TEST_REGISTRY_KEY,
} from '../../../test-support/issuer-fixtures.js';
import { b64, newPhoneRsaKeys, phoneCompletes } from '../../../test-support/phone-proofs.js';
import {
  completeProvisioning,
  createPerson,
  issueCard,
  openHolderChallenge,
  openProvisioningSession,
  refillMdocs,
  type CrashPoint,
  type IssuerSchema,
} from '../src/index.js';

const [url, schema, killAt, index] = process.argv.slice(2) as [string, string, CrashPoint | 'none', string];
const { db } = openDatabase<IssuerSchema>(url, schema === '-' ? {} : { schema });
const setup = {
  db,
  clock: () => new Date(),
  randomBytes: (n: number) => new Uint8Array(randomBytes(n)),
  registryKey: TEST_REGISTRY_KEY,
};
const { authorities } = await makeProvisioningAuthorities(new Date());
const { input } = registryPerson('mdoc-refill-crash', Number(index));
await createPerson(setup, input, 'crash-test');
const card = await issueCard(setup, {
  personId: input.id,
  authorities,
  cardFace: authorities.cardFace,
  pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
  actor: 'crash-test',
});
const device = await nodeMdocCrypto.generateEcKey();
const { sessionId, nonce } = await openProvisioningSession(setup);
const bundle = await completeProvisioning(
  setup,
  authorities,
  sessionId,
  await phoneCompletes(card.document, card.passphrase, nonce, {
    keys: await newPhoneRsaKeys(),
    device,
    batch: [await nodeMdocCrypto.generateEcKey()],
  }),
);
const fresh = await Promise.all([1, 2, 3].map(() => nodeMdocCrypto.generateEcKey()));
const challenge = await openHolderChallenge(setup, bundle.phoneId, 'mdoc-refill');
const deviceKeys = fresh.map((key) => ecPublicJwk(key.publicKey));
const statement = mdocRefillStatement({ phoneId: bundle.phoneId, nonce: challenge.nonce, deviceKeys });
const context = {
  ...setup,
  onBoundary: (point: CrashPoint) => {
    if (point === killAt) process.kill(process.pid, 'SIGKILL');
  },
};
await refillMdocs(context, authorities.mdoc, bundle.phoneId, {
  challengeId: challenge.challengeId,
  proof: { deviceKey: ecPublicJwk(device.publicKey), signature: b64(await device.signEs256(statement)) },
  deviceKeys,
  deviceKeySignatures: await Promise.all(fresh.map(async (key) => b64(await key.signEs256(statement)))),
});
writeSync(1, `acknowledged ${bundle.phoneId}\n`);
await db.destroy();
