import { Badge, Button, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { LineChart } from '@mantine/charts';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconRefresh } from '@tabler/icons-react';
import { useState } from 'react';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { StatCard } from '@/components/StatCard';
import { EmptyState } from '@/components/StatusPanels';
import { errorMessage } from '@/lib/errors';
import { formatDateTime, formatMoney, formatNumber, formatPercent } from '@/lib/format';
import { useAcknowledgeAlert } from '../api/acknowledge-alert';
import { embedSrc, useEmbedToken } from '../api/create-embed-token';
import { useEvaluateAlerts } from '../api/evaluate-alerts';
import { useDelinquency } from '../api/get-delinquency';
import { useDrift } from '../api/get-drift';
import { useMonitoringOverview } from '../api/get-monitoring-overview';
import { useMonitoringSettings } from '../api/get-monitoring-settings';
import { useNpaForecast } from '../api/get-npa-forecast';
import { useAlerts } from '../api/list-alerts';
import { formatMonth, formatMonthShort } from './month';

const LEVEL_COLOR: Record<string, string> = { ok: 'teal', warn: 'yellow', warning: 'yellow', alert: 'red', critical: 'red', info: 'blue' };
const LEVEL_LABEL: Record<string, string> = { ok: 'Stable', warn: 'Warn', alert: 'Alert', warning: 'Warning', critical: 'Critical' };
const ALERT_KIND: Record<string, string> = {
  drift: 'Population drift',
  npa_ratio: 'Gross NPA ratio',
  approval_rate_swing: 'Approval-rate swing',
};
const BASIS: Record<string, string> = { history: 'Own history', prior: 'Industry prior' };

function Card({ title, children, extra }: { title: string; children: React.ReactNode; extra?: React.ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {title}
        </Title>
        {extra}
      </Group>
      {children}
    </Paper>
  );
}

function Overview({ tenant }: { tenant: string }) {
  const q = useMonitoringOverview(tenant);
  return (
    <Card title="Decisions">
      <QueryState query={q} feature="Monitoring overview">
        {(d) => {
          const since = formatMonth(d.window_from.slice(0, 7));
          return (
            <Stack gap="sm" data-testid="decisions-overview">
              <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
                <StatCard
                  label="Applications decided"
                  value={formatNumber(d.applications)}
                  hint={`Last ${d.window_months} months, since ${since}`}
                />
                <StatCard
                  label="Approval rate"
                  value={formatPercent(d.approval_rate)}
                  hint="Approved ÷ decided, as decided (knock-outs included)"
                />
                <StatCard
                  label="Approved · Review · Rejected"
                  value={`${formatNumber(d.decisions.Approve)} · ${formatNumber(d.decisions.Review)} · ${formatNumber(d.decisions.Reject)}`}
                />
                <StatCard
                  label="Months with decisions"
                  value={`${d.months_covered} of ${d.window_months}`}
                  hint={d.first_decision_at ? `First decision ${formatDateTime(d.first_decision_at)}` : 'No decisions yet'}
                />
              </SimpleGrid>
              {d.months.length === 0 ? (
                <EmptyState title="No decisions in the last 12 months">Scored applications appear here month by month.</EmptyState>
              ) : (
                <Table.ScrollContainer minWidth={640}>
                  <Table fz="sm" verticalSpacing={4} striped aria-label="Decisions by month">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Month</Table.Th>
                        <Table.Th ta="right">Applications</Table.Th>
                        <Table.Th ta="right">Approved</Table.Th>
                        <Table.Th ta="right">Review</Table.Th>
                        <Table.Th ta="right">Rejected</Table.Th>
                        <Table.Th ta="right">Approval rate</Table.Th>
                        <Table.Th ta="right">Average PD</Table.Th>
                        <Table.Th ta="right">Average credit score</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {d.months.map((m) => (
                        <Table.Tr key={m.month}>
                          <Table.Td>{formatMonth(m.month)}</Table.Td>
                          <Table.Td ta="right">{formatNumber(m.applications)}</Table.Td>
                          <Table.Td ta="right">{formatNumber(m.decisions.Approve)}</Table.Td>
                          <Table.Td ta="right">{formatNumber(m.decisions.Review)}</Table.Td>
                          <Table.Td ta="right">{formatNumber(m.decisions.Reject)}</Table.Td>
                          <Table.Td ta="right">{formatPercent(m.approval_rate)}</Table.Td>
                          <Table.Td ta="right">{formatPercent(m.mean_pd)}</Table.Td>
                          <Table.Td ta="right">{m.mean_credit_score == null ? '—' : Math.round(m.mean_credit_score)}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
              {d.months.length > 0 && d.months.length < d.window_months && (
                <Text size="xs" c="dimmed">
                  Only months with decisions are listed: scoring on this platform began in {formatMonth(d.months[0]!.month)}. The
                  delinquency trend below follows the loan book, which is older than the scoring history.
                </Text>
              )}
            </Stack>
          );
        }}
      </QueryState>
    </Card>
  );
}

function DelinquencyTrend({ tenant }: { tenant: string }) {
  const q = useDelinquency(tenant);
  return (
    <Card title="Delinquency trend">
      <QueryState
        query={q}
        feature="Delinquency trend"
        isEmpty={(d) => d.months.length === 0}
        empty={<EmptyState title="No loan history yet" />}
      >
        {(data) => (
          <div data-testid="delinquency-chart">
            <LineChart
              h={280}
              data={data.months.map((m) => ({
                month: formatMonthShort(m.month),
                '30+ DPD': +(m.dpd30_rate * 100).toFixed(2),
                '60+ DPD': +(m.dpd60_rate * 100).toFixed(2),
                '90+ DPD': +(m.dpd90_rate * 100).toFixed(2),
              }))}
              dataKey="month"
              series={[
                { name: '30+ DPD', color: 'yellow.6' },
                { name: '60+ DPD', color: 'orange.6' },
                { name: '90+ DPD', color: 'red.7' },
              ]}
              unit="%"
              withLegend
              curveType="monotone"
              withDots={false}
              tooltipAnimationDuration={0}
              xAxisProps={{ minTickGap: 24 }}
            />
            <Text size="xs" c="dimmed" mt={4}>
              Share of active loans more than 30, 60 and 90 days past due at each month end — the loan book&apos;s last {data.months.length}{' '}
              month ends ({formatMonth(data.months[0]!.month)} to {formatMonth(data.months[data.months.length - 1]!.month)}).
            </Text>
          </div>
        )}
      </QueryState>
    </Card>
  );
}

function DriftTable({ tenant }: { tenant: string }) {
  const [window, setWindow] = useState('30');
  const q = useDrift(tenant, Number(window));
  return (
    <Card
      title="Drift against the champion's training data"
      extra={
        <SegmentedControl
          size="xs"
          value={window}
          onChange={setWindow}
          data={[
            { value: '7', label: '7 d' },
            { value: '30', label: '30 d' },
            { value: '90', label: '90 d' },
          ]}
          aria-label="Drift window"
        />
      }
    >
      <QueryState
        query={q}
        feature="Drift"
        isEmpty={(d) => d.features.length === 0}
        empty={<EmptyState title="Not enough recent applications to measure drift" />}
      >
        {(data) => {
          const score = data.score as Record<string, unknown> | null | undefined;
          return (
            <Stack gap="xs">
              {score && typeof score.psi === 'number' && (
                <Group gap="xs">
                  <Text size="sm">PD distribution: PSI {score.psi.toFixed(3)}</Text>
                  <Badge color={LEVEL_COLOR[String(score.level)] ?? 'gray'} variant="light">
                    {LEVEL_LABEL[String(score.level)] ?? String(score.level ?? '')}
                  </Badge>
                </Group>
              )}
              <Table.ScrollContainer minWidth={360}>
                <Table fz="sm" verticalSpacing={4} aria-label="Feature drift">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Feature</Table.Th>
                      <Table.Th ta="right">PSI</Table.Th>
                      <Table.Th>Level</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {[...data.features]
                      .sort((a, b) => b.psi - a.psi)
                      .map((f) => (
                        <Table.Tr key={f.feature}>
                          <Table.Td title={f.feature}>{f.label}</Table.Td>
                          <Table.Td ta="right">{f.psi.toFixed(3)}</Table.Td>
                          <Table.Td>
                            <Badge color={LEVEL_COLOR[f.level] ?? 'gray'} variant={f.level === 'ok' ? 'light' : 'filled'}>
                              {LEVEL_LABEL[f.level] ?? f.level}
                            </Badge>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <Text size="xs" c="dimmed">
                Population stability index over the last {data.window_days} days ({formatNumber(data.applications)} applications): below{' '}
                {data.thresholds.warn} stable, {data.thresholds.warn}–{data.thresholds.alert} warn, above {data.thresholds.alert} alert.
              </Text>
            </Stack>
          );
        }}
      </QueryState>
    </Card>
  );
}

function Alerts({ tenant }: { tenant: string }) {
  const q = useAlerts(tenant);
  const settings = useMonitoringSettings(tenant);
  const ack = useAcknowledgeAlert(tenant);
  const evaluate = useEvaluateAlerts(tenant);
  const lastEvaluated = settings.data?.last_evaluated_at;
  return (
    <Card
      title="Alerts"
      extra={
        <Can need="monitoring:manage">
          <Button
            size="xs"
            variant="light"
            leftSection={<IconRefresh size={14} />}
            loading={evaluate.isPending}
            onClick={() =>
              evaluate.mutate(undefined, {
                onSuccess: () => notifications.show({ color: 'teal', message: 'Alerts evaluated against the latest data' }),
                onError: (err) => notifications.show({ color: 'red', message: errorMessage(err) }),
              })
            }
          >
            Evaluate now
          </Button>
        </Can>
      }
    >
      <Text size="xs" c="dimmed" mb="xs">
        {lastEvaluated
          ? `Last evaluated ${formatDateTime(lastEvaluated)}; evaluated every hour.`
          : 'Not evaluated yet; evaluated every hour.'}
      </Text>
      <QueryState
        query={q}
        feature="Alerts"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title="No open alerts">
            {lastEvaluated
              ? 'Drift, NPA-ratio and approval-rate conditions were clear at the last evaluation.'
              : 'Drift, NPA-ratio and approval-rate alerts appear here once the conditions are evaluated.'}
          </EmptyState>
        }
      >
        {(data) => (
          <Stack gap="xs" data-testid="alerts-list">
            {data.items.map((a) => (
              <Paper key={a.id} withBorder p="sm" radius="md" opacity={a.acknowledged_at ? 0.6 : 1}>
                <Group justify="space-between" wrap="nowrap" align="flex-start">
                  <div>
                    <Group gap={6}>
                      <Badge color={LEVEL_COLOR[a.level] ?? 'gray'}>{LEVEL_LABEL[a.level] ?? a.level}</Badge>
                      <Text size="xs" c="dimmed">
                        {ALERT_KIND[a.kind] ?? a.kind} · raised {formatDateTime(a.created_at)}
                      </Text>
                    </Group>
                    <Text size="sm" mt={4}>
                      {a.message}
                    </Text>
                  </div>
                  {a.acknowledged_at ? (
                    <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                      Acknowledged
                    </Text>
                  ) : (
                    <Can need="monitoring:manage">
                      <Button
                        size="xs"
                        variant="light"
                        leftSection={<IconCheck size={14} />}
                        loading={ack.isPending && ack.variables === a.id}
                        aria-label={`Acknowledge alert: ${a.message}`}
                        onClick={() =>
                          ack.mutate(a.id, { onError: (err) => notifications.show({ color: 'red', message: errorMessage(err) }) })
                        }
                      >
                        Acknowledge
                      </Button>
                    </Can>
                  )}
                </Group>
              </Paper>
            ))}
          </Stack>
        )}
      </QueryState>
    </Card>
  );
}

function NpaSummary({ tenant }: { tenant: string }) {
  const q = useNpaForecast(tenant);
  return (
    <Card title="NPA outlook (next 90 days)">
      <QueryState query={q} feature="NPA forecast">
        {(d) => (
          <Stack gap="sm" data-testid="npa-outlook">
            <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
              <StatCard
                label="Expected to turn NPA"
                value={`${formatNumber(d.total.expected_loans)} loans`}
                hint={`${formatMoney(d.total.expected_amount)} outstanding today`}
              />
              <StatCard label="NPA outstanding today" value={formatMoney(d.current_npa_outstanding)} />
              <StatCard
                label="Projected gross NPA ratio"
                value={formatPercent(d.projected_gross_npa_ratio, 2)}
                hint={`In ${d.horizon_days} days, if nothing is recovered`}
              />
            </SimpleGrid>
            <Table.ScrollContainer minWidth={620}>
              <Table fz="sm" verticalSpacing={4} aria-label="NPA outlook by asset class">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Asset class today</Table.Th>
                    <Table.Th ta="right">Loans</Table.Th>
                    <Table.Th ta="right">Outstanding</Table.Th>
                    <Table.Th ta="right">Flow to NPA</Table.Th>
                    <Table.Th>Based on</Table.Th>
                    <Table.Th ta="right">Expected NPA loans</Table.Th>
                    <Table.Th ta="right">Expected NPA amount</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {d.buckets.map((b) => (
                    <Table.Tr key={b.bucket}>
                      <Table.Td>{b.label}</Table.Td>
                      <Table.Td ta="right">{formatNumber(b.loans)}</Table.Td>
                      <Table.Td ta="right">{formatMoney(b.outstanding)}</Table.Td>
                      <Table.Td ta="right">{b.flow_rate == null ? 'by PD' : formatPercent(b.flow_rate)}</Table.Td>
                      <Table.Td>
                        {BASIS[b.source] ?? b.source}
                        {b.source === 'history' && ` (${formatNumber(b.observations)} loan-months)`}
                      </Table.Td>
                      <Table.Td ta="right">{formatNumber(b.expected_loans)}</Table.Td>
                      <Table.Td ta="right">{formatMoney(b.expected_amount)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Text size="xs" c="dimmed">
              <b>Method:</b> {d.method}
            </Text>
          </Stack>
        )}
      </QueryState>
    </Card>
  );
}

function EmbeddedDashboard({ tenant }: { tenant: string }) {
  const q = useEmbedToken(tenant, 'delinquency');
  return (
    <Card
      title="Embeddable dashboard"
      extra={
        q.data && (
          <Text size="xs" c="dimmed">
            Link valid until {formatDateTime(q.data.expires_at)}
          </Text>
        )
      }
    >
      <QueryState query={q} feature="Embedded dashboards">
        {(data) => (
          <iframe
            title="Delinquency dashboard as partners see it embedded"
            src={embedSrc(data.url, data.token)}
            style={{
              display: 'block',
              width: '100%',
              height: 820,
              border: '1px solid var(--mantine-color-gray-3)',
              borderRadius: 8,
              background: 'white',
            }}
            loading="lazy"
            referrerPolicy="no-referrer"
            data-testid="dashboard-iframe"
          />
        )}
      </QueryState>
    </Card>
  );
}

function Monitoring({ tenant }: { tenant: string }) {
  return (
    <>
      <PageHeader title="Monitoring" description={`Decisions, delinquency, drift and alerts for ${tenant}.`} />
      <Stack gap="md">
        <Overview tenant={tenant} />
        <DelinquencyTrend tenant={tenant} />
        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
          <DriftTable tenant={tenant} />
          <Alerts tenant={tenant} />
        </SimpleGrid>
        <NpaSummary tenant={tenant} />
        <EmbeddedDashboard tenant={tenant} />
      </Stack>
    </>
  );
}

export default function MonitoringPage() {
  return <WithTenant>{(tenant) => <Monitoring tenant={tenant} />}</WithTenant>;
}
