import { errorCodeOf, WalletError } from './errors.js';
import type { WalletStorage } from './storage.js';
import { newEntryId, type TransactionLogEntry, type TransactionResult } from './transaction-log.js';

/** An entry as the wallet writes it: the log adds the id and the time, and drops an empty reason. */
export type LogEntryInput = Omit<TransactionLogEntry, 'id' | 'time' | 'reason'> & { reason?: string | undefined };

/** What an operation logs about itself, whatever its outcome. */
export type LoggedOperation = Omit<LogEntryInput, 'result'>;

/** How a failure is logged and rethrown. */
export interface FailureHandling {
  /** Logged in place of the operation's fields when it fails (e.g. no items were installed). */
  readonly failure?: Partial<Pick<LogEntryInput, 'items' | 'result'>>;
  /** What is rethrown for the error (default the error itself); the log keeps the original's code. */
  readonly mapError?: (error: unknown) => unknown;
}

/**
 * The transaction log, and the one wrapper every wallet operation runs in: the outcome is logged —
 * `completed`, or the failure with the error's own code — and the error is rethrown.
 */
export class WalletLog {
  readonly #storage: WalletStorage;
  readonly #clock: () => Date;

  constructor(storage: WalletStorage, clock: () => Date) {
    this.#storage = storage;
    this.#clock = clock;
  }

  /** Appends one entry, stamped now. */
  async append(entry: LogEntryInput): Promise<void> {
    const now = this.#clock();
    const { reason, ...rest } = entry;
    await this.#storage.appendLog({
      id: newEntryId(now),
      time: now.toISOString(),
      ...rest,
      ...(reason ? { reason } : {}),
    });
  }

  /** Runs `operation`; logs `completed` once it returns, or its failure (then rethrows). */
  async record<T>(entry: LoggedOperation, operation: () => Promise<T>, handling: FailureHandling = {}): Promise<T> {
    const value = await this.failures(entry, operation, handling);
    await this.append({ ...entry, result: 'completed' });
    return value;
  }

  /** Runs `operation`; logs only its failure (the caller logs the success later), then rethrows. */
  async failures<T>(entry: LoggedOperation, operation: () => Promise<T>, handling: FailureHandling = {}): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      await this.append({
        ...entry,
        result: resultOf(error),
        ...handling.failure,
        reason: errorCodeOf(error) ?? entry.reason,
      });
      throw handling.mapError ? handling.mapError(error) : error;
    }
  }
}

/**
 * How a failed operation is logged: `failed` on the way (network, the other side), a wrong or locked
 * PIN as such (the person did not refuse anything), else `refused`.
 */
export function resultOf(error: unknown): TransactionResult {
  const code = errorCodeOf(error);
  if (code === 'ERR_PIN_WRONG') return 'pin-wrong';
  if (code === 'ERR_PIN_BLOCKED') return 'pin-locked';
  if (
    error instanceof WalletError &&
    ['ERR_NETWORK', 'ERR_RESPONSE_REJECTED', 'ERR_ISSUER_REFUSED'].includes(error.code)
  )
    return 'failed';
  return 'refused';
}
