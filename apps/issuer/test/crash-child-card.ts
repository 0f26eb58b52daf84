// What the crash tests' child processes share: a database from argv, a person from the registry and a
// card issued to them, ready for a phone to be provisioned and the child to be killed.
import { randomBytes } from 'node:crypto';

import { openDatabase } from '@openmyna/storage';

import {
  makeProvisioningAuthorities,
  registryPerson,
  TEST_REGISTRY_KEY,
} from '../../../test-support/issuer-fixtures.js';
import { createPerson, issueCard, type CrashPoint, type IssuerSchema } from '../src/index.js';

/** argv: database URL, schema (`-` for none), the boundary to be killed at (or `none`), person index. */
export async function crashChildCard(label: string) {
  const [url, schema, killAt, index] = process.argv.slice(2) as [string, string, CrashPoint | 'none', string];
  const { db } = openDatabase<IssuerSchema>(url, schema === '-' ? {} : { schema });
  const setup = {
    db,
    clock: () => new Date(),
    randomBytes: (n: number) => new Uint8Array(randomBytes(n)),
    registryKey: TEST_REGISTRY_KEY,
  };
  const { authorities } = await makeProvisioningAuthorities(new Date());
  const { input } = registryPerson(label, Number(index));
  await createPerson(setup, input, 'crash-test');
  const card = await issueCard(setup, {
    personId: input.id,
    authorities,
    cardFace: authorities.cardFace,
    pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
    actor: 'crash-test',
  });
  return { db, setup, authorities, card, killAt };
}
