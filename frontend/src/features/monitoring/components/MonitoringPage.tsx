import { Badge, Button, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { LineChart } from '@mantine/charts';
import { notifications } from '@mantine/notifications';
import { IconCheck } from '@tabler/icons-react';
import { useState } from 'react';
import { DataSummary } from '@/components/DataSummary';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { EmptyState } from '@/components/StatusPanels';
import { errorMessage } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { useAcknowledgeAlert } from '../api/acknowledge-alert';
import { embedSrc, useEmbedToken } from '../api/create-embed-token';
import { useDelinquency } from '../api/get-delinquency';
import { useDrift } from '../api/get-drift';
import { useMonitoringOverview } from '../api/get-monitoring-overview';
import { useNpaForecast } from '../api/get-npa-forecast';
import { useAlerts } from '../api/list-alerts';

const LEVEL_COLOR: Record<string, string> = { ok: 'teal', warn: 'yellow', warning: 'yellow', alert: 'red', critical: 'red', info: 'blue' };

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
    <QueryState query={q} feature="Monitoring overview">
      {(data) => <DataSummary data={data as Record<string, unknown>} />}
    </QueryState>
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
                month: m.month,
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
              Share of loans by count at each delinquency level, month by month.
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
                  <Text size="sm">Score PSI {score.psi.toFixed(3)}</Text>
                  <Badge color={LEVEL_COLOR[String(score.level)] ?? 'gray'} variant="light">
                    {String(score.level ?? '')}
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
                          <Table.Td ff="monospace">{f.feature}</Table.Td>
                          <Table.Td ta="right">{f.psi.toFixed(3)}</Table.Td>
                          <Table.Td>
                            <Badge color={LEVEL_COLOR[f.level] ?? 'gray'} variant={f.level === 'ok' ? 'light' : 'filled'}>
                              {f.level}
                            </Badge>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <Text size="xs" c="dimmed">
                Population stability index: below 0.10 stable, 0.10–0.25 warn, above 0.25 alert.
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
  const ack = useAcknowledgeAlert(tenant);
  return (
    <Card title="Alerts">
      <QueryState
        query={q}
        feature="Alerts"
        isEmpty={(d) => d.items.length === 0}
        empty={<EmptyState title="No alerts">Drift, NPA-ratio and approval-rate alerts appear here.</EmptyState>}
      >
        {(data) => (
          <Stack gap="xs">
            {data.items.map((a) => (
              <Paper key={a.id} withBorder p="sm" radius="md" opacity={a.acknowledged_at ? 0.6 : 1}>
                <Group justify="space-between" wrap="nowrap" align="flex-start">
                  <div>
                    <Group gap={6}>
                      <Badge color={LEVEL_COLOR[a.level] ?? 'gray'}>{a.level}</Badge>
                      <Text size="xs" c="dimmed">
                        {a.kind} · {formatDateTime(a.created_at)}
                      </Text>
                    </Group>
                    <Text size="sm" mt={4}>
                      {a.message}
                    </Text>
                  </div>
                  {a.acknowledged_at ? (
                    <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                      acknowledged
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
        {(data) => <DataSummary data={data as Record<string, unknown>} />}
      </QueryState>
    </Card>
  );
}

function EmbeddedDashboard({ tenant }: { tenant: string }) {
  const q = useEmbedToken(tenant, 'delinquency');
  return (
    <Card
      title="Embedded dashboard"
      extra={
        q.data && (
          <Text size="xs" c="dimmed">
            token valid until {formatDateTime(q.data.expires_at)}
          </Text>
        )
      }
    >
      <QueryState query={q} feature="Embedded dashboards">
        {(data) => (
          <iframe
            title="Delinquency dashboard"
            src={embedSrc(data.url, data.token)}
            style={{ width: '100%', height: 520, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8, background: 'white' }}
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
