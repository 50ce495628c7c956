import { SimpleGrid } from '@mantine/core';
import { formatMoney, formatNumber, formatPercent, humanize } from '@/lib/format';
import { StatCard } from './StatCard';

/** Format a metric by its name: *_rate/*_ratio → %, amounts → ₹, counts → number. */
export function formatMetric(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string' && Number.isNaN(Number(value))) return value;
  if (/(rate|ratio|share|pct|fraction)(_\w+)?$|^(average_)?pd$|^lgd$/.test(key)) return formatPercent(value);
  if (/(amount|outstanding|disbursed|collected|principal|exposure|loss|balance|inr|provisions?(_total)?)$/.test(key))
    return formatMoney(value);
  return formatNumber(value);
}

/** KPI cards for every scalar in a flat object (shapes the server may grow). */
export function ValueGrid({ data, cols = { base: 2, sm: 3, lg: 4 } }: { data: Record<string, unknown>; cols?: Record<string, number> }) {
  const scalars = Object.entries(data).filter(([, v]) => v === null || ['number', 'string', 'boolean'].includes(typeof v));
  if (scalars.length === 0) return null;
  return (
    <SimpleGrid cols={cols} spacing="sm">
      {scalars.map(([k, v]) => (
        <StatCard key={k} label={humanize(k)} value={formatMetric(k, v)} />
      ))}
    </SimpleGrid>
  );
}
