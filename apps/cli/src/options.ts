import { InvalidArgumentError } from 'commander';
import { parseIsoDate, type CalendarDate } from '@openmyna/core';

/** Parses a whole number within bounds, for commander options. */
export function integerOption(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    }
    return parsed;
  };
}

/** Parses `YYYY-MM-DD`, for commander options. */
export function dateOption(value: string): CalendarDate {
  try {
    return parseIsoDate(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
