// Child process of provisioning-crash.test.ts: one whole provisioning (person, card, session, phone)
// against a real database, killed with SIGKILL at a chosen boundary. Prints "acknowledged <phone id>"
// only once provisioning returned the bundle.
import { writeSync } from 'node:fs';

import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import { newPhoneRsaKeys, phoneCompletes } from '../../../test-support/phone-proofs.js';
import { completeProvisioning, openProvisioningSession, type CrashPoint } from '../src/index.js';

import { crashChildCard } from './crash-child-card.js';

const { db, setup, authorities, card, killAt } = await crashChildCard('provisioning-crash');
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
