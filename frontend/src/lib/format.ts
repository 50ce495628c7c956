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

/** A calendar day "2025-02-10" as "10 Feb 2025" (no time zone: it is already the tenant's day). */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return formatDateTime(value);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

/** A person's name with all but each word's first letter hidden: "Asha Verma" → "A••• V•••" (three dots whatever the length, which would be a hint). */
export function maskName(name: string | null | undefined): string {
  if (!name?.trim()) return '—';
  return name
    .trim()
    .split(/\s+/)
    .map((w) => w.charAt(0).toUpperCase() + '•••')
    .join(' ');
}
