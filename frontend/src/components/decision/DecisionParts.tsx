import { Badge, Group, List, Paper, SemiCircleProgress, Stack, Table, Text, Tooltip } from '@mantine/core';
import { BarChart } from '@mantine/charts';
import { IconAlertCircle, IconCircleCheck, IconCircleX } from '@tabler/icons-react';
import type { ApiData } from '@/client/types';
import { formatNumber } from '@/lib/format';

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

/** SHAP contributions on the log-odds scale: red pushes towards default, green away from it. */
export function ContributionsChart({ contributions, limit = 10 }: { contributions: Contribution[]; limit?: number }) {
  const data = [...contributions]
    .sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact))
    .slice(0, limit)
    .map((c) => ({ feature: c.feature, impact: Number(c.impact.toFixed(4)) }));
  if (data.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No contributions recorded.
      </Text>
    );
  return (
    <div
      data-testid="shap-chart"
      role="img"
      aria-label={`Feature contributions: ${data.map((d) => `${d.feature} ${d.impact}`).join(', ')}`}
    >
      <BarChart
        h={Math.max(180, data.length * 30 + 40)}
        data={data}
        dataKey="feature"
        orientation="vertical"
        series={[{ name: 'impact', label: 'Impact on log-odds of default' }]}
        getBarColor={(v) => (v > 0 ? 'red.6' : 'teal.6')}
        yAxisProps={{ width: 150 }}
        gridAxis="x"
        tooltipAnimationDuration={0}
        valueFormatter={(v) => (v > 0 ? `+${v}` : `${v}`)}
      />
      <Group gap="md" mt={4}>
        <Text size="xs" c="red.7">
          ■ raises risk
        </Text>
        <Text size="xs" c="teal.7">
          ■ lowers risk
        </Text>
      </Group>
    </div>
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
