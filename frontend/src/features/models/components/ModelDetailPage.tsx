import { Anchor, Badge, Button, Group, NumberInput, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { BarChart, LineChart } from '@mantine/charts';
import { notifications } from '@mantine/notifications';
import { IconArrowLeft, IconCrown, IconFlag } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorAlert } from '@/components/ErrorAlert';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { StatCard } from '@/components/StatCard';
import { formatDateTime, formatPercent, humanize } from '@/lib/format';
import { useModel, type ModelDetail } from '../api/get-model';
import { usePromoteModel } from '../api/promote-model';
import { calibrationOf, fairnessOf, importanceOf } from './model-card';
import { STATUS_COLOR } from './ModelsPage';

function Promote({ tenant, model }: { tenant: string; model: ModelDetail }) {
  const promote = usePromoteModel(tenant, model.id);
  const [traffic, setTraffic] = useState<number | string>(10);
  const run = (role: 'champion' | 'challenger') =>
    promote.mutate(
      { role, traffic: role === 'champion' ? 1 : Number(traffic) / 100 },
      { onSuccess: () => notifications.show({ color: 'teal', message: `v${model.version} is now ${role}` }) },
    );
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h5" mb="xs">
        Promote
      </Title>
      <Stack gap="sm">
        {promote.isError && <ErrorAlert error={promote.error} title="Not promoted" />}
        <Group align="flex-end" gap="sm">
          <NumberInput label="Challenger traffic (%)" min={0} max={100} value={traffic} onChange={setTraffic} w={170} />
          <Button
            variant="light"
            leftSection={<IconFlag size={16} />}
            onClick={() => run('challenger')}
            loading={promote.isPending && promote.variables?.role === 'challenger'}
          >
            Make challenger
          </Button>
          <Button
            leftSection={<IconCrown size={16} />}
            onClick={() => run('champion')}
            loading={promote.isPending && promote.variables?.role === 'champion'}
            disabled={model.status === 'champion'}
          >
            Make champion
          </Button>
        </Group>
        <Text size="xs" c="dimmed">
          The champion decides every application; a challenger takes the given share of traffic (0% = shadow: scored and stored, not used).
        </Text>
      </Stack>
    </Paper>
  );
}

function Card({ tenant, model }: { tenant: string; model: ModelDetail }) {
  const calibration = calibrationOf(model.report);
  const fairness = fairnessOf(model.report);
  const importance = importanceOf(model.report).slice(0, 12);
  const metrics = (model.metrics ?? {}) as Record<string, number | null>;
  return (
    <Stack gap="md">
      <Group gap="sm">
        <Badge size="lg" color={STATUS_COLOR[model.status] ?? 'gray'} variant="light">
          {model.status}
        </Badge>
        <Text size="sm" c="dimmed">
          {model.algorithm} · created {formatDateTime(model.created_at)}
        </Text>
      </Group>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
        {['auc', 'gini', 'ks', 'brier'].map((k) => (
          <StatCard key={k} label={k.toUpperCase()} value={metrics[k] == null ? '—' : Number(metrics[k]).toFixed(3)} hint="test set" />
        ))}
      </SimpleGrid>
      <Can need="models:manage">
        <Promote tenant={tenant} model={model} />
      </Can>
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
        <Paper withBorder p="md" radius="md">
          <Title order={2} size="h5" mb="xs">
            Calibration by decile
          </Title>
          {calibration.length ? (
            <LineChart
              h={260}
              data={calibration.map((r) => ({
                decile: `D${r.decile}`,
                Predicted: +(r.mean_pd * 100).toFixed(2),
                Observed: +(r.default_rate * 100).toFixed(2),
              }))}
              dataKey="decile"
              series={[
                { name: 'Predicted', color: 'blue.6' },
                { name: 'Observed', color: 'orange.6' },
              ]}
              unit="%"
              withLegend
              curveType="linear"
              tooltipAnimationDuration={0}
            />
          ) : (
            <Text size="sm" c="dimmed">
              No calibration table in this model card.
            </Text>
          )}
        </Paper>
        <Paper withBorder p="md" radius="md">
          <Title order={2} size="h5" mb="xs">
            Feature importance
          </Title>
          {importance.length ? (
            <BarChart
              h={Math.max(200, importance.length * 24 + 30)}
              data={importance.map((r) => ({ feature: r.feature, share: +(r.share * 100).toFixed(1) }))}
              dataKey="feature"
              orientation="vertical"
              series={[{ name: 'share', label: 'Share of importance', color: 'blue.6' }]}
              valueFormatter={(v) => `${v}%`}
              yAxisProps={{ width: 150 }}
              tooltipAnimationDuration={0}
            />
          ) : (
            <Text size="sm" c="dimmed">
              No feature importance in this model card.
            </Text>
          )}
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="md" radius="md">
        <Title order={2} size="h5" mb="xs">
          Fairness
        </Title>
        {fairness.length === 0 && (
          <Text size="sm" c="dimmed">
            The training data revealed no age or gender column.
          </Text>
        )}
        <Stack gap="md">
          {fairness.map((section) => (
            <div key={section.attribute}>
              <Text fw={600} size="sm" mb={4}>
                By {humanize(section.attribute).toLowerCase()}
                {section.column ? ` (column “${section.column}”)` : ''}
              </Text>
              <Table.ScrollContainer minWidth={560}>
                <Table fz="sm" verticalSpacing={4} aria-label={`Fairness by ${section.attribute}`}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Group</Table.Th>
                      <Table.Th>Rows</Table.Th>
                      <Table.Th>Approval rate</Table.Th>
                      <Table.Th>Ratio to best</Table.Th>
                      <Table.Th>AUC</Table.Th>
                      <Table.Th>Default rate</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {section.groups.map((g) => (
                      <Table.Tr key={g.group} bg={g.flagged ? 'var(--mantine-color-red-light)' : undefined}>
                        <Table.Td fw={600}>{g.group}</Table.Td>
                        <Table.Td>{g.count}</Table.Td>
                        <Table.Td>{formatPercent(g.approval_rate)}</Table.Td>
                        <Table.Td>
                          {g.approval_rate_ratio == null ? '—' : g.approval_rate_ratio.toFixed(2)}
                          {g.flagged && (
                            <Badge color="red" size="xs" ml={6}>
                              below 0.8
                            </Badge>
                          )}
                        </Table.Td>
                        <Table.Td>{g.auc == null ? '—' : g.auc.toFixed(3)}</Table.Td>
                        <Table.Td>{formatPercent(g.default_rate)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </div>
          ))}
        </Stack>
      </Paper>
    </Stack>
  );
}

function Detail({ tenant, id }: { tenant: string; id: string }) {
  const model = useModel(tenant, id);
  return (
    <>
      <Anchor component={Link} to="/models" size="sm">
        <Group gap={4} mb="xs">
          <IconArrowLeft size={14} /> Model registry
        </Group>
      </Anchor>
      <PageHeader
        title={model.data ? `Model v${model.data.version}` : 'Model'}
        description="Model card: test-set metrics, calibration, feature importance and fairness."
      />
      <QueryState query={model} feature="Models">
        {(data) => <Card tenant={tenant} model={data} />}
      </QueryState>
    </>
  );
}

export default function ModelDetailPage() {
  const { id = '' } = useParams();
  return <WithTenant>{(tenant) => <Detail tenant={tenant} id={id} />}</WithTenant>;
}
