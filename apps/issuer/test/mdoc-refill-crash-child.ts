// Child process of mdoc-refill-crash.test.ts: provisions a phone with a batch of two MSOs, then refills
// it and is killed with SIGKILL at a chosen boundary of the refill. Prints "acknowledged <phone id>" only
// once the refill returned its MSOs.
import { writeSync } from 'node:fs';

import { mdocRefillStatement } from '@openmyna/card';
import { ecPublicJwk } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import { b64, newPhoneRsaKeys, phoneCompletes } from '../../../test-support/phone-proofs.js';
import {
  completeProvisioning,
  openHolderChallenge,
  openProvisioningSession,
  refillMdocs,
  type CrashPoint,
} from '../src/index.js';

import { crashChildCard } from './crash-child-card.js';

const { db, setup, authorities, card, killAt } = await crashChildCard('mdoc-refill-crash');
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
