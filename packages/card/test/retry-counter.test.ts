import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MemoryRetryCounterStore, protectPin, RetryCounter, type RetryCounterStore } from '@openmyna/card';
import { FileRetryCounterStore } from '@openmyna/card/node';
import { describe, expect, it } from 'vitest';

const encode = (text: string) => new TextEncoder().encode(text);
const key = new Uint8Array(32).fill(9);
const salt = new Uint8Array(16).fill(1);

function counter(store: RetryCounterStore, maxTries = 3) {
  return new RetryCounter({ reference: 'jpki/0018', maxTries, pin: protectPin(encode('1234'), salt), store });
}

describe.each([
  ['memory', () => new MemoryRetryCounterStore()],
  [
    'file',
    () => new FileRetryCounterStore({ path: join(mkdtempSync(join(tmpdir(), 'openmyna-rc-')), 'counters.json'), key }),
  ],
])('RetryCounter over the %s store', (_name, makeStore) => {
  it('counts 3, 2, 1, 0 and then stays blocked, even for the right PIN', async () => {
    const pin = counter(makeStore());
    expect(await pin.triesLeft()).toBe(3);
    expect(await pin.verify(encode('0000'))).toEqual({ result: 'wrong', triesLeft: 2 });
    expect(await pin.verify(encode('0000'))).toEqual({ result: 'wrong', triesLeft: 1 });
    expect(await pin.triesLeft()).toBe(1);
    expect(await pin.verify(encode('0000'))).toEqual({ result: 'wrong', triesLeft: 0 });
    expect(await pin.verify(encode('1234'))).toEqual({ result: 'blocked' });
    expect(await pin.triesLeft()).toBe(0);
  });

  it('restores the maximum after the right PIN', async () => {
    const pin = counter(makeStore());
    await pin.verify(encode('9999'));
    await pin.verify(encode('9999'));
    expect(await pin.verify(encode('1234'))).toEqual({ result: 'verified' });
    expect(await pin.triesLeft()).toBe(3);
  });

  it('is reset only by the reset flow, which may set a new PIN', async () => {
    const pin = counter(makeStore());
    for (let i = 0; i < 3; i++) await pin.verify(encode('9999'));
    await pin.reset(protectPin(encode('4321'), salt));
    expect(await pin.verify(encode('1234'))).toEqual({ result: 'wrong', triesLeft: 2 });
    expect(await pin.verify(encode('4321'))).toEqual({ result: 'verified' });
  });
});

describe('FileRetryCounterStore', () => {
  const fresh = () => join(mkdtempSync(join(tmpdir(), 'openmyna-rc-')), 'counters.json');

  it('survives a reopen', async () => {
    const path = fresh();
    await counter(new FileRetryCounterStore({ path, key })).verify(encode('0000'));
    expect(await counter(new FileRetryCounterStore({ path, key })).triesLeft()).toBe(2);
  });

  it('detects an edited, torn or foreign file and fails closed', async () => {
    const path = fresh();
    await counter(new FileRetryCounterStore({ path, key })).verify(encode('0000'));
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.replace('"jpki/0018":2', '"jpki/0018":3'));
    await expect(counter(new FileRetryCounterStore({ path, key })).triesLeft()).rejects.toMatchObject({
      code: 'ERR_RETRY_STATE_CORRUPT',
    });
    writeFileSync(path, original.slice(0, original.length - 10));
    await expect(counter(new FileRetryCounterStore({ path, key })).verify(encode('1234'))).rejects.toMatchObject({
      code: 'ERR_RETRY_STATE_CORRUPT',
    });
    writeFileSync(path, original);
    await expect(
      counter(new FileRetryCounterStore({ path, key: new Uint8Array(32).fill(8) })).triesLeft(),
    ).rejects.toMatchObject({ code: 'ERR_RETRY_STATE_CORRUPT' });
    writeFileSync(path, original.replace(/"mac":"[0-9a-f]+"/, '"mac":"zz"'));
    await expect(counter(new FileRetryCounterStore({ path, key })).triesLeft()).rejects.toMatchObject({
      code: 'ERR_RETRY_STATE_CORRUPT',
    });
  });

  it('never keeps the PIN itself on disk', async () => {
    const path = fresh();
    await counter(new FileRetryCounterStore({ path, key })).verify(encode('1234'));
    expect(readFileSync(path, 'utf8')).not.toContain('1234');
  });
});

describe('RetryCounter writes durably both ways', () => {
  it('decrements with a durable write before comparing, and restores with one before answering', async () => {
    const calls: string[] = [];
    const memory = new MemoryRetryCounterStore();
    const store: RetryCounterStore = {
      read: (reference) => memory.read(reference),
      write: async (reference, tries) => {
        calls.push(`write ${tries}`);
        await memory.write(reference, tries);
      },
    };
    const pin = counter(store);
    await pin.verify(encode('0000'));
    const outcome = await pin.verify(encode('1234'));
    // The restore to 3 was written before the answer came back.
    expect(calls).toEqual(['write 2', 'write 1', 'write 3']);
    expect(outcome).toEqual({ result: 'verified' });
  });
});
