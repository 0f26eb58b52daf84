// Child process of counter-crash.test.ts for the remote secure area: runs VERIFYs of one PIN through
// the service's database counters (`databaseCounters` of @openmyna/issuer, on SQLite or PostgreSQL) —
// correct, wrong, correct, … — printing each answer the moment it is given, until it is killed.
import { openSync, writeSync } from 'node:fs';
import process from 'node:process';
import { TextEncoder } from 'node:util';

import { protectPin, RetryCounter } from '@openmyna/card';
import { databaseCounters } from '@openmyna/issuer';
import { openDatabase } from '@openmyna/storage';

const [url, schema, deviceId, answersPath] = process.argv.slice(2);
const answers = openSync(answersPath, 'w');
const encode = (text) => new TextEncoder().encode(text);
const { db } = openDatabase(url, schema === '-' ? {} : { schema });
const context = { db, clock: () => new Date(), randomBytes: () => new Uint8Array(0), registryKey: new Uint8Array(32) };
const counter = new RetryCounter({
  reference: 'jpki/0018',
  maxTries: 3,
  pin: protectPin(encode('1234'), new Uint8Array(16).fill(7)),
  store: databaseCounters(context, deviceId),
});
writeSync(1, 'ready\n');
for (let attempt = 0; ; attempt++) {
  // Marks an attempt in flight: only the attempt after the last mark may be paid for without an answer.
  writeSync(answers, 'start\n');
  const outcome = await counter.verify(encode(attempt % 2 === 0 ? '1234' : '0000'));
  writeSync(answers, `${JSON.stringify(outcome)}\n`);
  process.stdout.write('.');
}
