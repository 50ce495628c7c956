import { describe, expect, it } from 'vitest';
import { formatDate, formatMoney, formatPercent, humanize, maskName, toNumber } from './format';
import { passwordProblem } from './password';

describe('format', () => {
  it('groups rupees the Indian way and accepts decimal strings', () => {
    expect(formatMoney(300000)).toBe('₹3,00,000');
    expect(formatMoney('1234567.50', true)).toBe('₹12,34,567.50');
    expect(formatMoney(null)).toBe('—');
  });
  it('shows fractions as percentages', () => {
    expect(formatPercent(0.4213)).toBe('42.1%');
    expect(formatPercent('abc')).toBe('—');
    expect(toNumber('12.5')).toBe(12.5);
  });
  it('humanizes keys', () => expect(humanize('gross_npa_ratio')).toBe('Gross npa ratio'));
});

describe('passwordProblem mirrors the server rule', () => {
  it.each([
    ['short1!', 'asha@x.in', 'Use 12–128 characters'],
    ['abcdefghijklmn', 'asha@x.in', 'Use at least one letter and one digit or symbol'],
    ['aaaaaaaaaaa1', 'asha@x.in', 'Use more different characters'],
    ['my-ashaverma-2026', 'ashaverma@x.in', 'Do not use your e-mail name in the password'],
    ['Sahyadri-Ledger-2026', 'asha@x.in', null],
  ])('%s', (password, email, problem) => expect(passwordProblem(password, email)).toBe(problem));
});

describe('names and days', () => {
  it('masks a borrower’s name to initials', () => {
    expect(maskName('Asha Verma')).toBe('A••• V•••');
    expect(maskName(' kavya ')).toBe('K•••');
    expect(maskName(null)).toBe('—');
  });
  it('shows a calendar day without shifting it by a time zone', () => expect(formatDate('2025-02-10')).toBe('10 Feb 2025'));
});
