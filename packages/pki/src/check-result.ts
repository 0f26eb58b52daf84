import { PkiError } from './errors.js';

/** One named check of a verification (STYLE.md 8). */
export interface CheckResult {
  readonly check: string;
  readonly status: 'pass' | 'fail' | 'unknown' | 'skip';
  readonly reason?: string;
}

/** The summary of an ordered list of checks: the first failure decides; otherwise unknown beats valid. */
export interface VerificationSummary {
  readonly status: 'valid' | 'invalid' | 'status-unknown';
  readonly checks: readonly CheckResult[];
  /** The first failing check for `invalid`, the first unknown one for `status-unknown`. */
  readonly decidedBy?: CheckResult;
}

export function summarize(checks: readonly CheckResult[]): VerificationSummary {
  const failed = checks.find((check) => check.status === 'fail');
  if (failed) return { status: 'invalid', checks, decidedBy: failed };
  const unknown = checks.find((check) => check.status === 'unknown');
  if (unknown) return { status: 'status-unknown', checks, decidedBy: unknown };
  // Fail closed: a verification with no checks at all proves nothing.
  if (checks.length === 0)
    return {
      status: 'invalid',
      checks,
      decidedBy: { check: 'checks.present', status: 'fail', reason: 'nothing was checked' },
    };
  return { status: 'valid', checks };
}

/** Throws `code` naming the deciding check unless the summary is valid. */
export function assertValid(
  summary: VerificationSummary,
  code: 'ERR_PATH_VALIDATION' | 'ERR_CMS' | 'ERR_OCSP_RESPONSE',
): void {
  if (summary.status === 'valid') return;
  const decided = summary.decidedBy!;
  throw new PkiError(code, `${summary.status}: ${decided.check}${decided.reason ? ` (${decided.reason})` : ''}`);
}

export const pass = (check: string): CheckResult => ({ check, status: 'pass' });
export const fail = (check: string, reason: string): CheckResult => ({ check, status: 'fail', reason });
export const unknown = (check: string, reason: string): CheckResult => ({ check, status: 'unknown', reason });
export const skip = (check: string, reason: string): CheckResult => ({ check, status: 'skip', reason });
