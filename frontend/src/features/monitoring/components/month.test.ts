import { describe, expect, it } from 'vitest';
import { formatMonth, formatMonthShort } from './month';

describe('month labels', () => {
  it('reads a month key the way a lender says it', () => {
    expect(formatMonth('2026-01')).toBe('Jan 2026');
    expect(formatMonth('2025-12')).toBe('Dec 2025');
    expect(formatMonthShort('2026-01')).toBe('Jan 26');
    expect(formatMonth('not a month')).toBe('not a month');
  });
});
