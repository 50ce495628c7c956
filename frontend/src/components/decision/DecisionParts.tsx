import { Alert, Badge, Group, List, Paper, SemiCircleProgress, SimpleGrid, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconAlertCircle, IconCircleCheck, IconCircleX } from '@tabler/icons-react';
import type { ApiData } from '@/client/types';
import { isoToIndian } from '@/components/DateInput';
import { formatMoney, formatNumber, humanize, toNumber } from '@/lib/format';

export type Decision = ApiData<'/api/v1/tenants/{tenant}/applications/{application_id}', 'get'>;
type Contribution = Decision['contributions'][number];
type BureauPull = NonNullable<Decision['bureau_reports']>[number];

const DECISION_COLOR: Record<string, string> = { Approve: 'teal', Review: 'yellow', Reject: 'red' };

export function scoreColor(score: number): string {
  if (score >= 70) return 'teal';
  if (score >= 40) return 'yellow';
  return 'red';
}

/** 0–100, higher is safer. */
export function ScoreGauge({ score }: { score: number }) {
  const value = Math.max(0, Math.min(100, score));
  return (
    <Stack gap={0} align="center" aria-label={`Score ${value} out of 100`} role="img">
      <SemiCircleProgress
        value={value}
        size={190}
        thickness={16}
        filledSegmentColor={scoreColor(value)}
        label={
          <Text component="span" fw={800} fz={36} lh={1} data-testid="score-value">
            {value}
          </Text>
        }
      />
      <Text size="xs" c="dimmed">
        score out of 100 (higher is safer)
      </Text>
    </Stack>
  );
}

export function DecisionBadge({ decision, size = 'xl' }: { decision: string; size?: 'sm' | 'md' | 'lg' | 'xl' }) {
  const Icon = decision === 'Approve' ? IconCircleCheck : decision === 'Reject' ? IconCircleX : IconAlertCircle;
  return (
    <Badge
      size={size}
      color={DECISION_COLOR[decision] ?? 'gray'}
      variant="filled"
      leftSection={<Icon size={size === 'xl' ? 18 : 14} />}
      data-testid="decision-badge"
    >
      {decision}
    </Badge>
  );
}

export function Reasons({ reasons, testId = 'reasons' }: { reasons: string[]; testId?: string }) {
  if (reasons.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No reasons were recorded.
      </Text>
    );
  return (
    <List type="ordered" spacing={4} size="sm" data-testid={testId}>
      {reasons.map((r) => (
        <List.Item key={r}>{r}</List.Item>
      ))}
    </List>
  );
}

/** A feature's name in the lender's words: the server's label, else the column name made readable. */
export function featureLabel(c: { feature: string; label?: string | null }): string {
  return c.label || humanize(c.feature);
}

/**
 * SHAP contributions on the log-odds scale as a diverging bar list: red pushes towards default, green
 * away from it. Plain elements, so labels wrap instead of being cut and nothing widens a phone screen;
 * the strongest factors on BOTH sides are always shown.
 */
export function ContributionsChart({
  contributions,
  raising = 6,
  lowering = 4,
}: {
  contributions: Contribution[];
  raising?: number;
  lowering?: number;
}) {
  const byMagnitude = [...contributions].filter((c) => c.impact !== 0).sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact));
  const shown = [
    ...byMagnitude.filter((c) => c.impact > 0).slice(0, raising),
    ...byMagnitude.filter((c) => c.impact < 0).slice(0, lowering),
  ].sort((a, b) => b.impact - a.impact);
  if (shown.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No contributions recorded.
      </Text>
    );
  const max = Math.max(...shown.map((c) => Math.abs(c.impact)));
  return (
    <Stack
      gap={6}
      data-testid="shap-chart"
      role="img"
      aria-label={`Feature contributions: ${shown.map((c) => `${featureLabel(c)} ${Number(c.impact.toFixed(4))}`).join(', ')}`}
    >
      {shown.map((c) => {
        const up = c.impact > 0;
        const width = `${Math.max(2, (Math.abs(c.impact) / max) * 100)}%`;
        return (
          <div
            key={c.feature}
            style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 2fr) minmax(0, 3fr)', gap: 8, alignItems: 'center' }}
          >
            <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
              {featureLabel(c)}
              {c.value !== null && c.value !== undefined && c.value !== '' && (
                <Text span size="xs" c="dimmed">
                  {' '}
                  · {formatValue(c.feature, c.value)}
                </Text>
              )}
            </Text>
            <Group gap={6} wrap="nowrap">
              <div style={{ flex: 1, minWidth: 0 }}>
                <div
                  data-direction={up ? 'raises' : 'lowers'}
                  style={{
                    width,
                    height: 12,
                    borderRadius: 3,
                    background: up ? 'var(--mantine-color-red-6)' : 'var(--mantine-color-teal-6)',
                  }}
                />
              </div>
              <Text size="xs" c={up ? 'red.7' : 'teal.7'} w={48} ta="right" style={{ flexShrink: 0 }}>
                {up ? '+' : '−'}
                {Math.abs(c.impact).toFixed(2)}
              </Text>
            </Group>
          </div>
        );
      })}
      <Group gap="md" mt={4}>
        <Text size="xs" c="red.7">
          ■ raises risk
        </Text>
        <Text size="xs" c="teal.7">
          ■ lowers risk
        </Text>
        <Text size="xs" c="dimmed">
          (change in log-odds of default)
        </Text>
      </Group>
    </Stack>
  );
}

const MONEY_FIELDS = /(income|emi|amount|inflow)$/;

/** A decision input as a person reads it: ₹ with Indian grouping, dd/mm/yyyy dates, words for codes. */
export function formatValue(field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return isoToIndian(value);
  if (MONEY_FIELDS.test(field) && toNumber(value) !== null) return formatMoney(value);
  if (typeof value === 'string' && Number.isNaN(Number(value))) return humanize(value);
  const n = toNumber(value);
  if (n === null) return String(value);
  return Number.isInteger(n) ? formatNumber(n) : String(Number(n.toFixed(3)));
}

type AdverseReason = NonNullable<Decision['adverse_reasons']>[number];

/** Adverse-action reasons, largest cost first, each with its relative size. */
export function AdverseReasons({ reasons }: { reasons: AdverseReason[] }) {
  if (reasons.length === 0)
    return (
      <Text size="sm" data-testid="adverse-reasons">
        No significant adverse factor.
      </Text>
    );
  const max = Math.max(...reasons.map((r) => r.impact));
  return (
    <Stack gap={8} data-testid="adverse-reasons">
      {reasons.map((r) => (
        <div key={r.reason}>
          <Text size="sm">{r.reason}</Text>
          <Group gap={6} wrap="nowrap">
            <div style={{ flex: 1, minWidth: 0 }}>
              <div
                style={{
                  width: `${Math.max(4, (r.impact / max) * 100)}%`,
                  height: 6,
                  borderRadius: 3,
                  background: 'var(--mantine-color-red-4)',
                }}
              />
            </div>
            <Text size="xs" c="dimmed" style={{ flexShrink: 0 }}>
              {r.label}
            </Text>
          </Group>
        </div>
      ))}
    </Stack>
  );
}

const BUREAU_STATUS: Record<string, { color: string; title: string; text: string }> = {
  pulled: { color: 'teal', title: 'Bureau data pulled live', text: 'The decision used the merged reports below.' },
  no_record: {
    color: 'blue',
    title: 'No bureau record',
    text: 'The bureaus answered and hold no record for this PAN: decided as new to credit.',
  },
  supplied: {
    color: 'gray',
    title: 'Bureau values as entered',
    text: 'Nothing was pulled; the values sent with the application were used.',
  },
  unavailable: {
    color: 'orange',
    title: 'Bureau data unavailable',
    text: 'The applicant has a PAN but no bureau could be reached (or none is switched on). Decided Review — not as new to credit. Score again once the bureaus answer.',
  },
  none: { color: 'gray', title: 'No bureau data', text: 'No PAN and no bureau values: decided on application and alternative data only.' },
};

export function BureauStatusNote({ status }: { status?: string | null }) {
  const s = status ? BUREAU_STATUS[status] : undefined;
  if (!s) return null;
  return (
    <Alert color={s.color} variant="light" title={s.title} data-testid="bureau-status" mb="sm" p="xs">
      <Text size="xs">{s.text}</Text>
    </Alert>
  );
}

const INPUT_SECTIONS: [string, string][] = [
  ['applicant', 'Applicant'],
  ['loan', 'Loan'],
  ['bureau', 'Credit bureau'],
  ['alt_data', 'Alternative data'],
];

const INPUT_LABELS: Record<string, string> = {
  pan: 'PAN',
  date_of_birth: 'Date of birth',
  employment_type: 'Type of employment',
  employment_years: 'Years employed',
  monthly_income: 'Monthly income',
  existing_emi: 'Existing EMIs',
  city_tier: 'City tier',
  amount: 'Amount',
  tenure_months: 'Tenure (months)',
  interest_rate: 'Interest rate (% p.a.)',
  score: 'Bureau score',
  utilization: 'Utilisation',
  dpd_30_last_12m: '30+ DPD, last 12 months',
  max_dpd_last_24m: 'Max DPD, last 24 months',
  enquiries_last_6m: 'Enquiries, last 6 months',
  credit_history_months: 'Credit history (months)',
  active_accounts: 'Active accounts',
  written_off: 'Written-off account',
  avg_monthly_inflow: 'Average monthly inflow',
  inflow_regularity: 'Inflow regularity',
  bounced_emis_last_6m: 'Bounced EMIs, last 6 months',
  upi_txn_per_month: 'UPI transactions / month',
};

/** What the decision was computed from: typed values with pulled bureau data merged in. */
export function DecisionInputs({ inputs, bureauStatus }: { inputs: Record<string, unknown>; bureauStatus?: string | null }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" data-testid="decision-inputs">
      {INPUT_SECTIONS.map(([key, title]) => {
        const block = inputs[key];
        if (!block || typeof block !== 'object') return null;
        const rows = Object.entries(block as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined && v !== '');
        if (rows.length === 0) return null;
        return (
          <div key={key}>
            <Text size="sm" fw={600} mb={4}>
              {title}
              {key === 'bureau' && bureauStatus === 'pulled' && (
                <Badge ml={6} size="xs" variant="light" color="teal">
                  pulled
                </Badge>
              )}
            </Text>
            <Table withRowBorders={false} verticalSpacing={2} fz="xs">
              <Table.Tbody>
                {rows.map(([field, value]) => (
                  <Table.Tr key={field}>
                    <Table.Td c="dimmed" style={{ width: '55%' }}>
                      {INPUT_LABELS[field] ?? humanize(field)}
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{formatValue(field, value)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
        );
      })}
    </SimpleGrid>
  );
}

export function BureauPulls({ pulls }: { pulls: BureauPull[] }) {
  if (pulls.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No bureau was pulled for this application.
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={320}>
      <Table data-testid="bureau-pulls" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Bureau</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Score</Table.Th>
            <Table.Th>Latency</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {pulls.map((p) => {
            return (
              <Table.Tr key={p.bureau}>
                <Table.Td tt="uppercase" fw={600}>
                  {p.bureau}
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    <Tooltip label={p.error} disabled={!p.error}>
                      <Badge color={p.status === 'ok' ? 'teal' : p.status === 'no_hit' ? 'gray' : 'red'} variant="light">
                        {p.status.replace('_', ' ')}
                      </Badge>
                    </Tooltip>
                    {p.cached && (
                      <Badge variant="outline" size="sm">
                        cached
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{p.score ?? '—'}</Table.Td>
                <Table.Td>{p.latency_ms != null ? `${formatNumber(p.latency_ms)} ms` : '—'}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text fw={600} mb="sm">
        {title}
      </Text>
      {children}
    </Paper>
  );
}
