import { Badge, Button, Code, Group, Paper, SegmentedControl, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { DataTable, type Column } from '@/components/DataTable';
import { DateInput } from '@/components/DateInput';
import { PageHeader } from '@/components/PageHeader';
import { EmptyState } from '@/components/StatusPanels';
import { useAuth } from '@/lib/auth';
import { formatDateTime } from '@/lib/format';
import { dayBound, useListFilters } from '@/lib/list-filters';
import { useTenant } from '@/lib/tenant';
import { useAuditEvents, type AuditChain, type AuditEvent } from '../api/list-audit-events';
import { ChainStatus } from './ChainStatus';

const OUTCOME_COLOR: Record<string, string> = { success: 'teal', failure: 'red', denied: 'orange' };
// The API takes any outcome text; these are the ones the audit chain writes.
const OUTCOMES = ['success', 'failure', 'denied'];

const COLUMNS: Column<AuditEvent>[] = [
  { header: '#', cell: (e) => e.seq, td: { c: 'dimmed' } },
  { header: 'When', cell: (e) => formatDateTime(e.created_at), td: { style: { whiteSpace: 'nowrap' } } },
  { header: 'Action', cell: (e) => <Code>{e.action}</Code> },
  { header: 'Actor', cell: (e) => e.actor_email ?? e.actor_type },
  {
    header: 'Resource',
    cell: (e) => (
      <Text size="sm" truncate maw={220}>
        {e.resource_type ? `${e.resource_type}${e.resource_id ? ` ${e.resource_id}` : ''}` : '—'}
      </Text>
    ),
  },
  {
    header: 'Outcome',
    cell: (e) => (
      <Badge color={OUTCOME_COLOR[e.outcome] ?? 'gray'} variant="light">
        {e.outcome}
      </Badge>
    ),
  },
  { header: 'IP', cell: (e) => e.ip ?? '—' },
];

export default function AuditPage() {
  const { can } = useAuth();
  const { tenant } = useTenant();
  const platformAllowed = can('ops:manage');
  const tenantAllowed = can('audit:read') && !!tenant;
  const [scope, setScope] = useState<'tenant' | 'platform'>(tenantAllowed ? 'tenant' : 'platform');
  const chain: AuditChain = scope === 'platform' || !tenantAllowed ? null : tenant;

  const filters = useListFilters(
    { action: '', actor: '', outcome: null as string | null, from: '', to: '' },
    { debounce: ['action', 'actor'] },
  );
  const { form, values } = filters;
  const events = useAuditEvents(chain, {
    limit: filters.limit,
    offset: filters.offset,
    action: values.action.trim() || undefined,
    actor: values.actor.trim() || undefined,
    outcome: values.outcome ?? undefined,
    created_from: dayBound(values.from, 'start'),
    created_to: dayBound(values.to, 'end'),
  });

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every sign-in, change, secret update and decision, in a tamper-evident hash chain."
        actions={
          platformAllowed &&
          tenantAllowed && (
            <SegmentedControl
              value={scope}
              onChange={(v) => {
                setScope(v as 'tenant' | 'platform');
                filters.paging.setPage(1);
              }}
              data={[
                { value: 'tenant', label: `Tenant ${tenant}` },
                { value: 'platform', label: 'Platform' },
              ]}
              aria-label="Audit chain"
            />
          )
        }
      />
      <Stack gap="md">
        <ChainStatus chain={chain} />
        <Paper withBorder p="md" radius="md" component="form" aria-label="Filter audit events" onSubmit={(e) => e.preventDefault()}>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }} spacing="sm">
            <TextInput label="Action starts with" placeholder="auth.login" {...form.getInputProps('action')} />
            <TextInput label="Actor e-mail" placeholder="name@lender.in" {...form.getInputProps('actor')} />
            <Select label="Outcome" placeholder="Any" clearable data={OUTCOMES} {...form.getInputProps('outcome')} />
            <DateInput key={`from-${filters.generation}`} label="From" max={values.to || undefined} {...form.getInputProps('from')} />
            <DateInput key={`to-${filters.generation}`} label="To" min={values.from || undefined} {...form.getInputProps('to')} />
          </SimpleGrid>
          <Group justify="flex-end" mt="sm">
            <Button variant="subtle" size="xs" onClick={filters.clear}>
              Clear filters
            </Button>
          </Group>
        </Paper>
        <DataTable
          query={events}
          feature="Audit events"
          empty={<EmptyState title="No events match these filters" />}
          label="Audit events"
          columns={COLUMNS}
          rowKey={(e) => e.id}
          minWidth={760}
          table={{ verticalSpacing: 'xs', striped: true }}
          paging={filters.paging}
          count={(n) => `${n} events`}
        />
      </Stack>
    </>
  );
}
