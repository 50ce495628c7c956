// Display helpers. Times are shown in the tenant's zone (default Asia/Kolkata), money in rupees.

export const DEFAULT_TZ = 'Asia/Kolkata';

const inr = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', maximumFractionDigits: 0 });
const inrPaise = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', maximumFractionDigits: 2 });
const plain = new Intl.NumberFormat('en-IN', { maximumFractionDigits: 2 });

export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return null;
}

/** ₹3,00,000 (Indian grouping); paise only when present and `precise`. */
export function formatMoney(value: unknown, precise = false): string {
  const n = toNumber(value);
  if (n === null) return '—';
  return (precise ? inrPaise : inr).format(n);
}

export function formatNumber(value: unknown): string {
  const n = toNumber(value);
  return n === null ? '—' : plain.format(n);
}

/** A fraction 0–1 as a percentage: 0.4213 → "42.1%". */
export function formatPercent(value: unknown, digits = 1): string {
  const n = toNumber(value);
  return n === null ? '—' : `${(n * 100).toFixed(digits)}%`;
}

export function formatDateTime(value: string | null | undefined, timeZone = DEFAULT_TZ): string {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
}

/** "approval_rate" → "Approval rate". */
export function humanize(key: string): string {
  const s = key.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
