import { Progress, Stack, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { errorMessage } from '@/lib/errors';
import { formatNumber, formatPercent } from '@/lib/format';
import { usePolicyPreview } from '../api/preview-policy';

/** What these thresholds would have decided on the last 12 months of decisions. */
export function ApprovalPreview({ tenant, approve, reject }: { tenant: string; approve: number; reject: number }) {
  const [debounced] = useDebouncedValue({ approve, reject }, 300);
  const preview = usePolicyPreview(tenant, debounced.approve, debounced.reject);
  if (!(approve < reject))
    return (
      <Text size="sm" c="red">
        “Approve below” must be lower than “reject at or above”.
      </Text>
    );
  if (preview.isPending)
    return (
      <Text size="sm" c="dimmed">
        Previewing on the last 12 months of decisions…
      </Text>
    );
  if (preview.isError)
    return (
      <Text size="sm" c="dimmed">
        No preview: {errorMessage(preview.error)}
      </Text>
    );
  const p = preview.data;
  if (p.applications === 0)
    return (
      <Text size="sm" c="dimmed">
        No decisions in the last {p.window_months} months to preview these thresholds on.
      </Text>
    );
  return (
    <Stack gap={6} data-testid="approval-preview">
      <Text size="sm">
        On the <b>{formatNumber(p.applications)}</b> decisions of the last {p.window_months} months{p.capped ? ' (the latest only)' : ''},
        these thresholds would approve <b>{formatPercent(p.approve_rate)}</b>, refer <b>{formatPercent(p.review_rate)}</b> to review and
        reject <b>{formatPercent(p.reject_rate)}</b> — with the knock-out rules as they fired on each decision.
      </Text>
      <Text size="xs" c="dimmed" data-testid="approval-preview-current">
        Approved as decided: {formatPercent(p.current_approve_rate)} — the approval rate Monitoring and Portfolio show for the same months.{' '}
        {formatNumber(p.knocked_out)} decisions were stopped or referred by a knock-out rule and keep that outcome
        {p.kept_as_decided > 0
          ? `; ${formatNumber(p.kept_as_decided)} the current thresholds do not explain (an earlier policy version, or no bureau answer) count as decided`
          : ''}
        .
      </Text>
      <Progress.Root size={18} aria-label="Decision mix preview">
        <Progress.Section value={p.approve_rate * 100} color="teal">
          <Progress.Label>Approve</Progress.Label>
        </Progress.Section>
        <Progress.Section value={p.review_rate * 100} color="yellow">
          <Progress.Label>Review</Progress.Label>
        </Progress.Section>
        <Progress.Section value={p.reject_rate * 100} color="red">
          <Progress.Label>Reject</Progress.Label>
        </Progress.Section>
      </Progress.Root>
    </Stack>
  );
}
