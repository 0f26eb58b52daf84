import { describe, expect, it } from 'vitest';

import { cardExpiryDate, certificateNotAfter, formatIsoDate, nthBirthdayAfter, parseIsoDate } from '@openmyna/core';

const d = parseIsoDate;

describe('card expiry (10th birthday for adults, 5th for minors)', () => {
  it('gives an adult ten birthdays', () => {
    expect(formatIsoDate(cardExpiryDate(d('1980-02-17'), d('2025-02-18')))).toBe('2035-02-17');
  });

  it('does not count a birthday on the issue day itself', () => {
    expect(formatIsoDate(cardExpiryDate(d('1980-02-17'), d('2025-02-17')))).toBe('2035-02-17');
    expect(formatIsoDate(cardExpiryDate(d('1980-02-17'), d('2025-02-16')))).toBe('2034-02-17');
  });

  it('gives a minor five birthdays, with 18 as the age of majority from 2022-04-01', () => {
    // The first birthday after 2025-01-10 is 2025-06-01, so the 5th is 2029-06-01.
    expect(formatIsoDate(cardExpiryDate(d('2010-06-01'), d('2025-01-10')))).toBe('2029-06-01'); // 14
    expect(formatIsoDate(cardExpiryDate(d('2006-06-01'), d('2025-01-10')))).toBe('2034-06-01'); // 18
    expect(formatIsoDate(cardExpiryDate(d('2002-06-01'), d('2021-01-10')))).toBe('2025-06-01'); // 18 before 2022-04
    expect(formatIsoDate(cardExpiryDate(d('2000-06-01'), d('2021-01-10')))).toBe('2030-06-01'); // 20
  });

  it('puts 29 February birthdays on 28 February in common years', () => {
    expect(formatIsoDate(cardExpiryDate(d('2000-02-29'), d('2025-03-01')))).toBe('2035-02-28');
    expect(formatIsoDate(nthBirthdayAfter(d('2000-02-29'), d('2025-03-01'), 3))).toBe('2028-02-29');
  });

  it('refuses a birth date after the issue date', () => {
    expect(() => cardExpiryDate(d('2030-01-01'), d('2025-01-01'))).toThrow(
      expect.objectContaining({ code: 'ERR_BIRTH_DATE_FUTURE' }),
    );
    expect(() => nthBirthdayAfter(d('2000-01-01'), d('2025-01-01'), 0)).toThrow(
      expect.objectContaining({ code: 'ERR_EXPIRY_RULE' }),
    );
  });
});

describe('JPKI certificate notAfter', () => {
  it('is 23:59:59 JST on the 5th birthday after issue (the JPKI test card: issued 2025-10-27, born 02-17)', () => {
    const notAfter = certificateNotAfter({
      birthDate: d('1980-02-17'),
      issueDate: d('2025-10-27'),
      cardExpiry: d('2035-02-17'),
    });
    expect(notAfter.toISOString()).toBe('2030-02-17T14:59:59.000Z');
  });

  it('matches the real 2019 auth certificate (issued 2019-07-25, notAfter 2024-05-02T14:59:59Z)', () => {
    // The holder's birthday is 2 May (the certificate itself carries no birth date; any year fits).
    const notAfter = certificateNotAfter({
      birthDate: d('1990-05-02'),
      issueDate: d('2019-07-25'),
      cardExpiry: d('2029-05-02'),
    });
    expect(notAfter.toISOString()).toBe('2024-05-02T14:59:59.000Z');
  });

  it('is capped by the card expiry and by a further limit', () => {
    const capped = certificateNotAfter({
      birthDate: d('2015-08-01'),
      issueDate: d('2025-10-27'),
      cardExpiry: d('2029-08-01'),
    });
    expect(capped.toISOString()).toBe('2029-08-01T14:59:59.000Z');
    const limit = new Date('2027-01-01T00:00:00Z');
    const signing = certificateNotAfter({
      birthDate: d('1980-02-17'),
      issueDate: d('2025-10-27'),
      cardExpiry: d('2035-02-17'),
      notLaterThan: limit,
    });
    expect(signing).toEqual(limit);
  });

  it('refuses a card that expired before issue', () => {
    expect(() =>
      certificateNotAfter({ birthDate: d('1980-02-17'), issueDate: d('2025-10-27'), cardExpiry: d('2025-10-26') }),
    ).toThrow(expect.objectContaining({ code: 'ERR_EXPIRY_RULE' }));
  });
});
