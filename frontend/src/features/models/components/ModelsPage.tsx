import { Anchor, Badge, Paper, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { EmptyState } from '@/components/StatusPanels';
import { formatDateTime, toNumber } from '@/lib/format';
import { useModels } from '../api/list-models';
import { TrainPanel } from './TrainPanel';

export const STATUS_COLOR: Record<string, string> = {
  champion: 'teal',
  challenger: 'blue',
  draft: 'gray',
  retired: 'dark',
  shadow: 'grape',
};
const metric = (m: Record<string, unknown> | undefined, k: string) => {
  const n = toNumber(m?.[k]);
  return n === null ? '—' : n.toFixed(3);
};

function Models({ tenant }: { tenant: string }) {
  const models = useModels(tenant);
  return (
    <>
      <PageHeader
        title="Models"
        description="The model registry: every version with its test-set metrics. Open one for its model card and to promote it."
      />
      <Stack gap="lg">
        <QueryState
          query={models}
          feature="Models"
          isEmpty={(d) => d.items.length === 0}
          empty={<EmptyState title="No models yet">Train the first one below.</EmptyState>}
        >
          {(data) => (
            <Paper withBorder radius="md">
              <Table.ScrollContainer minWidth={720}>
                <Table highlightOnHover verticalSpacing="sm" aria-label="Model registry">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Version</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Algorithm</Table.Th>
                      <Table.Th>AUC</Table.Th>
                      <Table.Th>Gini</Table.Th>
                      <Table.Th>KS</Table.Th>
                      <Table.Th>Brier</Table.Th>
                      <Table.Th>Created</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {[...data.items]
                      .sort((a, b) => b.version - a.version)
                      .map((m) => (
                        <Table.Tr key={m.id}>
                          <Table.Td>
                            <Anchor component={Link} to={`/models/${m.id}`} fw={600}>
                              v{m.version}
                            </Anchor>
                          </Table.Td>
                          <Table.Td>
                            <Badge color={STATUS_COLOR[m.status] ?? 'gray'} variant="light">
                              {m.status}
                            </Badge>
                          </Table.Td>
                          <Table.Td>{m.algorithm}</Table.Td>
                          <Table.Td fw={600}>{metric(m.metrics, 'auc')}</Table.Td>
                          <Table.Td>{metric(m.metrics, 'gini')}</Table.Td>
                          <Table.Td>{metric(m.metrics, 'ks')}</Table.Td>
                          <Table.Td>{metric(m.metrics, 'brier')}</Table.Td>
                          <Table.Td>
                            <Text size="sm">{formatDateTime(m.created_at)}</Text>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Paper>
          )}
        </QueryState>
        <Can need="models:manage">
          <TrainPanel tenant={tenant} />
        </Can>
      </Stack>
    </>
  );
}

export default function ModelsPage() {
  return <WithTenant>{(tenant) => <Models tenant={tenant} />}</WithTenant>;
}
