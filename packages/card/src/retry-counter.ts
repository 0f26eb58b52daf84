import { constantTimeEqual } from '@openmyna/core';
import { sha256 } from '@noble/hashes/sha2.js';

import { CardError } from './errors.js';

/**
 * Durable storage of retry counters (tries left per reference). `write` must not return before the
 * value would survive a crash; `read` fails with `ERR_RETRY_STATE_CORRUPT` rather than guess.
 */
export interface RetryCounterStore {
  /** Tries left, or `undefined` when the reference was never written (then it has its maximum). */
  read(reference: string): Promise<number | undefined>;
  write(reference: string, triesLeft: number): Promise<void>;
  /**
   * Takes one try atomically and durably, and answers how many were left before it (0: blocked, nothing
   * taken). A store that several processes share (the remote secure area's database) must offer it:
   * a read followed by a write would let two concurrent guesses pay for one.
   */
  consume?(reference: string, maxTries: number): Promise<number>;
}

/** Counters in memory, for tests and for cards whose state lives elsewhere. */
export class MemoryRetryCounterStore implements RetryCounterStore {
  readonly #counters = new Map<string, number>();

  read(reference: string): Promise<number | undefined> {
    return Promise.resolve(this.#counters.get(reference));
  }

  write(reference: string, triesLeft: number): Promise<void> {
    this.#counters.set(reference, triesLeft);
    return Promise.resolve();
  }
}

/** The outcome of one verification. */
export type VerifyOutcome =
  | { readonly result: 'verified' }
  | { readonly result: 'wrong'; readonly triesLeft: number }
  | { readonly result: 'blocked' };

/** How the reference data of a PIN is kept: a salted SHA-256, never the value itself. */
export interface StoredPin {
  readonly salt: Uint8Array;
  readonly digest: Uint8Array;
}

/** Salts and hashes reference data for storage. */
export function protectPin(value: Uint8Array, salt: Uint8Array): StoredPin {
  return { salt, digest: pinDigest(salt, value) };
}

function pinDigest(salt: Uint8Array, value: Uint8Array): Uint8Array {
  const input = new Uint8Array(salt.length + value.length);
  input.set(salt);
  input.set(value, salt.length);
  return sha256(input);
}

/**
 * A PIN (key reference) with a retry counter that cannot be cheated and that a crash cannot burn:
 * every verification first stores the decremented counter durably, then compares in constant time,
 * then, on success, stores the maximum durably before answering — as a card writes its EEPROM before
 * 9000. A crash can cost the attempt in flight, never an earlier correct one, and never grant a try.
 *
 * @example
 * ```ts
 * const pin = new RetryCounter({ reference: 'jpki/0018', maxTries: 3, pin: protectPin(encode('1234'), salt), store });
 * await pin.verify(encode('9999')); // { result: 'wrong', triesLeft: 2 }
 * ```
 */
export class RetryCounter {
  readonly reference: string;
  readonly maxTries: number;
  #pin: StoredPin;
  readonly #store: RetryCounterStore;
  readonly #beforeCompare: (() => void) | undefined;

  constructor(options: {
    reference: string;
    maxTries: number;
    pin: StoredPin;
    store: RetryCounterStore;
    /** Called after the durable decrement, just before comparing (a hook for crash tests). */
    beforeCompare?: () => void;
  }) {
    this.reference = options.reference;
    this.maxTries = options.maxTries;
    this.#pin = options.pin;
    this.#store = options.store;
    this.#beforeCompare = options.beforeCompare;
  }

  /** Tries left; answering it uses no try (the card's VERIFY without data). */
  async triesLeft(): Promise<number> {
    const stored = await this.#store.read(this.reference);
    if (stored === undefined) return this.maxTries;
    if (!Number.isInteger(stored) || stored < 0 || stored > this.maxTries) {
      throw new CardError('ERR_RETRY_STATE_CORRUPT', `the retry counter of ${this.reference} is out of range`);
    }
    return stored;
  }

  async verify(candidate: Uint8Array): Promise<VerifyOutcome> {
    const tries = await this.#consume();
    if (tries === 0) return { result: 'blocked' };
    this.#beforeCompare?.();
    if (constantTimeEqual(pinDigest(this.#pin.salt, candidate), this.#pin.digest)) {
      await this.#store.write(this.reference, this.maxTries);
      return { result: 'verified' };
    }
    return { result: 'wrong', triesLeft: tries - 1 };
  }

  /** Takes one try durably; answers the tries left before it (0: blocked, nothing taken). */
  async #consume(): Promise<number> {
    if (this.#store.consume) {
      const tries = await this.#store.consume(this.reference, this.maxTries);
      if (!Number.isInteger(tries) || tries < 0 || tries > this.maxTries)
        throw new CardError('ERR_RETRY_STATE_CORRUPT', `the retry counter of ${this.reference} is out of range`);
      return tries;
    }
    const tries = await this.triesLeft();
    if (tries > 0) await this.#store.write(this.reference, tries - 1);
    return tries;
  }

  /** Replaces the reference data (after a successful verification, which the caller checks). */
  change(pin: StoredPin): void {
    this.#pin = pin;
  }

  /** Restores every try: only the issuer's reset flow, with a stronger factor, may call this. */
  async reset(pin?: StoredPin): Promise<void> {
    if (pin) this.#pin = pin;
    await this.#store.write(this.reference, this.maxTries);
  }

  /** The stored reference data, for persisting the card. */
  get storedPin(): StoredPin {
    return this.#pin;
  }
}
