// Child process of retry-counter-crash.test.ts: one VERIFY against a file-backed counter, killed with
// SIGKILL at a chosen persistence point. Prints "compared" the moment a comparison is about to happen.
import { writeSync } from 'node:fs';

import { protectPin, RetryCounter } from '@openmyna/card';
import { FileRetryCounterStore, type PersistencePoint } from '@openmyna/card/node';

const [path, killPoint, killOccurrence, candidate] = process.argv.slice(2) as [
  string,
  PersistencePoint | 'none',
  string,
  string,
];
let seen = 0;
const store = new FileRetryCounterStore({
  path,
  key: new Uint8Array(32).fill(9),
  onPersist: (point) => {
    if (point === killPoint && ++seen === Number(killOccurrence)) process.kill(process.pid, 'SIGKILL');
  },
});
const counter = new RetryCounter({
  reference: 'jpki/0018',
  maxTries: 3,
  pin: protectPin(new TextEncoder().encode('1234'), new Uint8Array(16).fill(1)),
  store,
  beforeCompare: () => writeSync(1, 'compared\n'),
});
const outcome = await counter.verify(new TextEncoder().encode(candidate));
writeSync(1, `${JSON.stringify(outcome)}\n`);
