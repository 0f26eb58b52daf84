// Child process of counter-crash.test.ts (plain JavaScript on the built packages, so that each of the
// hundreds of runs starts in a fraction of a second): opens the phone file and runs VERIFYs of one PIN through the
// wallet's durable counter store forever — correct, wrong, correct, … — printing each answer the moment
// it is given (appended to a file: the kernel keeps what was written when the process is killed), until
// the parent kills it with SIGKILL.
import { openSync, writeSync } from 'node:fs';
import process from 'node:process';
import { TextEncoder } from 'node:util';

import { protectPin, RetryCounter } from '@openmyna/card';
import { storageRetryCounters } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';

const [path, answersPath] = process.argv.slice(2);
const answers = openSync(answersPath, 'w');
const encode = (text) => new TextEncoder().encode(text);
const storage = await openEncryptedFileWalletStorage({ path, passphrase: 'crash test', iterations: 10_000 });
const counter = new RetryCounter({
  reference: 'jpki/0018',
  maxTries: 3,
  pin: protectPin(encode('1234'), new Uint8Array(16).fill(7)),
  store: storageRetryCounters(storage),
});
writeSync(1, 'ready\n');
for (let attempt = 0; ; attempt++) {
  // Marks an attempt in flight: only the attempt after the last mark may be paid for without an answer.
  writeSync(answers, 'start\n');
  const outcome = await counter.verify(encode(attempt % 2 === 0 ? '1234' : '0000'));
  // The answer leaves the "card" only now: what it says has already been written.
  writeSync(answers, `${JSON.stringify(outcome)}\n`);
  // A progress mark for the parent, which picks when to kill; the record is the file.
  process.stdout.write('.');
}
