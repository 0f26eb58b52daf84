// Child process of provisioning-crash.test.ts: one whole provisioning (person, card, session, phone)
// against a real database, killed with SIGKILL at a chosen boundary. Prints "acknowledged <phone id>"
// only once provisioning returned the bundle.
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';

import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { openDatabase } from '@openmyna/storage';

import {
  makeProvisioningAuthorities,
  registryPerson,
  TEST_REGISTRY_KEY,
} from '../../../test-support/issuer-fixtures.js';
import { newPhoneRsaKeys, phoneCompletes } from '../../../test-support/phone-proofs.js';
import {
  completeProvisioning,
  createPerson,
  issueCard,
  openProvisioningSession,
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
const { input } = registryPerson('provisioning-crash', Number(index));
await createPerson(setup, input, 'crash-test');
const card = await issueCard(setup, {
  personId: input.id,
  authorities,
  cardFace: authorities.cardFace,
  pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
  actor: 'crash-test',
});
const { sessionId, nonce } = await openProvisioningSession(setup);
const completion = await phoneCompletes(card.document, card.passphrase, nonce, {
  keys: await newPhoneRsaKeys(),
  device: await nodeMdocCrypto.generateEcKey(),
});
const context = {
  ...setup,
  onBoundary: (point: CrashPoint) => {
    if (point === killAt) process.kill(process.pid, 'SIGKILL');
  },
};
const bundle = await completeProvisioning(context, authorities, sessionId, completion);
writeSync(1, `acknowledged ${bundle.phoneId}\n`);
await db.destroy();
