// Child process of crash.test.ts: one durable issuance or revocation against a real database, killed
// with SIGKILL at a chosen boundary. Prints "acknowledged <serial>" only once the operation returned.
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';

import { basicFourInfoOf, generatePerson, parseIsoDate } from '@openmyna/core';
import { SoftwareSigner } from '@openmyna/pki';
import { inTransaction, openDatabase } from '@openmyna/storage';

import { makeAuthority } from '../../../test-support/authorities.js';
import { revokeInTransaction } from '../src/certificates.js';
import { issueCertificateDurably, type CrashPoint, type IssuerSchema } from '../src/index.js';
import { TEST_REGISTRY_KEY } from '../../../test-support/issuer-fixtures.js';

const [url, schema, operation, killAt, serial] = process.argv.slice(2) as [
  string,
  string,
  'issue' | 'revoke',
  CrashPoint | 'none',
  string | undefined,
];
const { db } = openDatabase<IssuerSchema>(url, schema === '-' ? {} : { schema });
const context = {
  db,
  clock: () => new Date(),
  randomBytes: (n: number) => new Uint8Array(randomBytes(n)),
  registryKey: TEST_REGISTRY_KEY,
  onBoundary: (point: CrashPoint) => {
    if (point === killAt) process.kill(process.pid, 'SIGKILL');
  },
};
if (operation === 'issue') {
  const person = generatePerson({ seed: 'crash' }, 0);
  const key = await SoftwareSigner.generate();
  await issueCertificateDurably(context, {
    ca: await makeAuthority('signing'),
    hierarchy: 'signing',
    request: {
      profile: 'jpki-signing',
      subjectPublicKeyInfo: key.publicKeyInfo,
      holder: {
        basicFourInfo: basicFourInfoOf(person),
        municipalityCode: person.municipalityCode,
        prefecture: person.prefecture,
        municipality: person.municipality,
        cardExpiry: parseIsoDate('2035-01-01'),
      },
      issuedAt: new Date(),
    },
    holder: { personId: person.id },
    actor: 'crash-test',
  });
  writeSync(1, 'acknowledged\n');
} else {
  await inTransaction(db, (trx) =>
    revokeInTransaction(trx, context, {
      serials: [serial!],
      reason: 'keyCompromise',
      actor: 'crash-test',
      why: 'lost',
    }),
  );
  context.onBoundary('revocation-committed');
  writeSync(1, `acknowledged ${serial}\n`);
}
await db.destroy();
