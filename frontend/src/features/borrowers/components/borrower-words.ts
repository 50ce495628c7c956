// The borrower's view in plain words: how late a loan is, when the next payment is due, what a refused
// code means. Written for a borrower on a phone, not for an analyst.
import { ApiError } from '@/lib/errors';
import { formatDate } from '@/lib/format';

/** "Paid on time", "1 day late", "45 days late". */
export function dpdWords(dpd: number): string {
  if (dpd <= 0) return 'Paid on time';
  return dpd === 1 ? '1 day late' : `${dpd} days late`;
}

const DAY = 86_400_000;
const days = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);

/** When the next payment is due, counted from the loan's own "today" (`asOf`, the lender's date). */
export function dueWords(nextDueOn: string | null | undefined, asOf: string): string | null {
  if (!nextDueOn) return null;
  const n = days(asOf, nextDueOn);
  if (n < 0) return `Overdue since ${formatDate(nextDueOn)}`;
  if (n === 0) return 'Due today';
  if (n === 1) return `Due tomorrow (${formatDate(nextDueOn)})`;
  return `Due in ${n} days (${formatDate(nextDueOn)})`;
}

/** The number as the borrower typed it, only its digits, +91 dropped: "+91 98765-43210" → "9876543210". */
export function mobileDigits(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length === 12 && digits.startsWith('91')) return digits.slice(2);
  if (digits.length === 11 && digits.startsWith('0')) return digits.slice(1);
  return digits;
}

/** An Indian mobile number: 10 digits starting 6–9. */
export const isIndianMobile = (phone: string) => /^[6-9][0-9]{9}$/.test(mobileDigits(phone));

/** "+91 ••••• 43210": enough for the borrower to recognise their number on a shared screen. */
export function maskedMobile(phone: string): string {
  const d = mobileDigits(phone);
  return d.length === 10 ? `+91 ••••• ${d.slice(5)}` : phone;
}

/** What a refused code or request means, and what to do. */
export function signInError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'CodeLocked') return 'Too many wrong codes. Ask for a new code and try again.';
    if (error.code === 'InvalidCode' || error.status === 401)
      return 'That code is not right or has expired. Check the latest message, or ask for a new code.';
    if (error.status === 429) return 'Too many tries for now. Wait a few minutes, then try again.';
    if (error.status === 422) return error.fields[0]?.message ?? 'Check the number and try again.';
    return error.detail;
  }
  if (error instanceof TypeError) return 'No connection. Check your internet and try again.';
  return 'Something went wrong. Try again.';
}
