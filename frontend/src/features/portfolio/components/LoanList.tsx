// The book's loans, newest disbursal first, each opening its loan page.
import { Anchor, Badge, Group, Paper, Select, Text, Title } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { DataTable, type Column } from '@/components/DataTable';
import { EmptyState } from '@/components/StatusPanels';
import { optionsOf } from '@/lib/enums';
import { formatDate, formatMoney, maskName } from '@/lib/format';
import { useListFilters } from '@/lib/list-filters';
import { useLoans, type LoanFilters, type LoanRow } from '../api/list-loans';

type Status = NonNullable<LoanFilters['status']>;
type ClassFilter = NonNullable<LoanFilters['asset_class']>;
const STATUSES = optionsOf<Status>({ active: 'Active', closed: 'Closed' });
const CLASSES = optionsOf<ClassFilter>({
  standard: 'Standard',
  sma: 'Any SMA',
  sma_0: 'SMA-0',
  sma_1: 'SMA-1',
  sma_2: 'SMA-2',
  npa: 'Any NPA',
  substandard: 'Sub-standard',
  doubtful_1: 'Doubtful D1',
  doubtful_2: 'Doubtful D2',
  doubtful_3: 'Doubtful D3',
  loss: 'Loss',
});

const COLUMNS: Column<LoanRow>[] = [
  {
    header: 'Loan',
    cell: (l) => (
      <Anchor component={Link} to={`/loans/${l.id}`} onClick={(e) => e.stopPropagation()}>
        {l.external_ref ?? l.id.slice(0, 8)}
      </Anchor>
    ),
  },
  { header: 'Borrower', cell: (l) => maskName(l.customer_name) },
  { header: 'Disbursed', cell: (l) => formatDate(l.disbursed_on), td: { style: { whiteSpace: 'nowrap' } } },
  { header: 'Principal', cell: (l) => formatMoney(l.principal), th: { ta: 'right' }, td: { ta: 'right' } },
  { header: 'Outstanding', cell: (l) => formatMoney(l.outstanding_principal), th: { ta: 'right' }, td: { ta: 'right' } },
  {
    header: 'DPD',
    cell: (l) => (
      <Text size="sm" c={l.dpd > 0 ? 'red.7' : undefined}>
        {l.dpd}
      </Text>
    ),
    th: { ta: 'right' },
    td: { ta: 'right' },
  },
  {
    header: 'Class',
    cell: (l) =>
      l.asset_class_label ? (
        <Badge
          size="sm"
          variant="light"
          color={l.asset_class === 'standard' ? 'teal' : l.asset_class?.startsWith('sma') ? 'orange' : 'red'}
        >
          {l.asset_class_label}
        </Badge>
      ) : (
        l.status
      ),
  },
];

export function LoanList({ tenant }: { tenant: string }) {
  const navigate = useNavigate();
  const filters = useListFilters({ status: null as Status | null, asset_class: null as ClassFilter | null }, { pageSize: 10 });
  const { form, values } = filters;
  const loans = useLoans(tenant, {
    limit: filters.limit,
    offset: filters.offset,
    status: values.status ?? undefined,
    asset_class: values.asset_class ?? undefined,
  });
  return (
    <Paper withBorder p="md" radius="md" data-testid="loan-list">
      <Group justify="space-between" align="flex-end" mb="sm" gap="sm">
        <Title order={2} size="h4">
          Loans
        </Title>
        <Group gap="xs" component="form" aria-label="Filter loans" onSubmit={(e) => e.preventDefault()}>
          <Select size="xs" w={130} label="Status" placeholder="Any" clearable data={STATUSES} {...form.getInputProps('status')} />
          <Select size="xs" w={150} label="RBI class" placeholder="Any" clearable data={CLASSES} {...form.getInputProps('asset_class')} />
        </Group>
      </Group>
      <DataTable
        query={loans}
        feature="Loans"
        empty={<EmptyState title="No loans match">Booked loans appear here.</EmptyState>}
        label="Loans"
        columns={COLUMNS}
        rowKey={(l) => l.id}
        rowProps={(l) => ({ style: { cursor: 'pointer' }, onClick: () => void navigate(`/loans/${l.id}`) })}
        minWidth={720}
        table={{ highlightOnHover: true, fz: 'sm' }}
        paging={filters.paging}
        count={(n) => `${n} loans`}
      />
    </Paper>
  );
}
