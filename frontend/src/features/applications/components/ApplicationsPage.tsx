import { Anchor, Paper, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { DataTable, type Column } from '@/components/DataTable';
import { DecisionBadge } from '@/components/decision/DecisionParts';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { EmptyState } from '@/components/StatusPanels';
import { useAuth } from '@/lib/auth';
import { valuesOf } from '@/lib/enums';
import { formatDateTime, formatMoney, formatPercent } from '@/lib/format';
import { dayBound, useListFilters } from '@/lib/list-filters';
import { useApplications, type ApplicationFilters, type ApplicationSummary } from '../api/list-applications';

type Decision = NonNullable<ApplicationFilters['decision']>;
const DECISIONS = valuesOf<Decision>({ Approve: true, Review: true, Reject: true });

const COLUMNS: Column<ApplicationSummary>[] = [
  {
    header: 'Reference',
    cell: (a) => (
      <Anchor component={Link} to={`/applications/${a.application_id}`} onClick={(e) => e.stopPropagation()}>
        {a.external_ref || a.application_id.slice(0, 12)}
      </Anchor>
    ),
  },
  { header: 'Decided', cell: (a) => formatDateTime(a.created_at), td: { style: { whiteSpace: 'nowrap' } } },
  { header: 'Decision', cell: (a) => <DecisionBadge decision={a.decision} size="sm" /> },
  { header: 'Score', cell: (a) => a.score, td: { fw: 600 } },
  { header: 'Credit score', cell: (a) => a.credit_score },
  { header: 'PD', cell: (a) => formatPercent(a.pd) },
  {
    header: 'Applicant',
    cell: (a) => (
      <Text size="sm" truncate maw={200}>
        {a.applicant_name ?? '—'}
      </Text>
    ),
  },
  { header: 'Loan', cell: (a) => formatMoney(a.loan_amount), th: { ta: 'right' }, td: { ta: 'right' } },
];

function Applications({ tenant }: { tenant: string }) {
  const { can } = useAuth();
  const navigate = useNavigate();
  const filters = useListFilters({ ref: '', decision: null as Decision | null, from: '', to: '' }, { debounce: ['ref'] });
  const { form, values } = filters;
  const apps = useApplications(tenant, {
    limit: filters.limit,
    offset: filters.offset,
    external_ref: values.ref.trim() || undefined,
    decision: values.decision ?? undefined,
    created_from: dayBound(values.from, 'start'),
    created_to: dayBound(values.to, 'end'),
  });

  return (
    <>
      <PageHeader
        title="Applications"
        description={
          can('applications:read')
            ? 'Every decided application in this tenant.'
            : 'Applications decided under your sign-in (single and batch), newest first.'
        }
      />
      <Stack gap="md">
        <Paper withBorder p="md" radius="md" component="form" aria-label="Filter applications" onSubmit={(e) => e.preventDefault()}>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm">
            <TextInput label="External reference" placeholder="LOS-000123" {...form.getInputProps('ref')} />
            <Select label="Decision" placeholder="Any" clearable data={DECISIONS} {...form.getInputProps('decision')} />
            <TextInput label="From" type="date" {...form.getInputProps('from')} />
            <TextInput label="To" type="date" {...form.getInputProps('to')} />
          </SimpleGrid>
        </Paper>
        <DataTable
          query={apps}
          feature="Applications"
          empty={<EmptyState title="No applications match">Scored applications appear here.</EmptyState>}
          label="Applications"
          columns={COLUMNS}
          rowKey={(a) => a.application_id}
          rowProps={(a) => ({ style: { cursor: 'pointer' }, onClick: () => void navigate(`/applications/${a.application_id}`) })}
          minWidth={720}
          table={{ highlightOnHover: true }}
          paging={filters.paging}
          count={(n) => `${n} applications`}
        />
      </Stack>
    </>
  );
}

export default function ApplicationsPage() {
  return <WithTenant>{(tenant) => <Applications tenant={tenant} />}</WithTenant>;
}
