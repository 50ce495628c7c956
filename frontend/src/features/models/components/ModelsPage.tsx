import { Anchor, Badge, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { DataTable, type Column } from '@/components/DataTable';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { EmptyState } from '@/components/StatusPanels';
import { formatDateTime, toNumber } from '@/lib/format';
import { useModels, type ModelSummary } from '../api/list-models';
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

const columns: Column<ModelSummary>[] = [
  {
    header: 'Version',
    cell: (m) => (
      <Anchor component={Link} to={`/models/${m.id}`} fw={600}>
        v{m.version}
      </Anchor>
    ),
  },
  {
    header: 'Status',
    cell: (m) => (
      <Badge color={STATUS_COLOR[m.status] ?? 'gray'} variant="light">
        {m.status}
      </Badge>
    ),
  },
  { header: 'Algorithm', cell: (m) => m.algorithm },
  { header: 'AUC', cell: (m) => metric(m.metrics, 'auc'), td: { fw: 600 } },
  { header: 'Gini', cell: (m) => metric(m.metrics, 'gini') },
  { header: 'KS', cell: (m) => metric(m.metrics, 'ks') },
  { header: 'Brier', cell: (m) => metric(m.metrics, 'brier') },
  { header: 'Created', cell: (m) => <Text size="sm">{formatDateTime(m.created_at)}</Text> },
];

function Models({ tenant }: { tenant: string }) {
  const models = useModels(tenant);
  return (
    <>
      <PageHeader
        title="Models"
        description="The model registry: every version with its test-set metrics. Open one for its model card and to promote it."
      />
      <Stack gap="lg">
        <DataTable
          query={models}
          feature="Models"
          empty={<EmptyState title="No models yet">Train the first one below.</EmptyState>}
          label="Model registry"
          columns={columns}
          rowKey={(m) => m.id}
          minWidth={720}
          table={{ highlightOnHover: true }}
        />
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
