import { Anchor, Group, Pagination, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { DecisionBadge } from '@/components/decision/DecisionParts';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { EmptyState } from '@/components/StatusPanels';
import { useAuth } from '@/lib/auth';
import { formatDateTime, formatMoney, formatPercent } from '@/lib/format';
import { useApplications, type ApplicationFilters } from '../api/list-applications';

const PAGE = 25;

function toIso(date: string, endOfDay: boolean): string | undefined {
  return date ? new Date(`${date}T${endOfDay ? '23:59:59' : '00:00:00'}+05:30`).toISOString() : undefined;
}

function Applications({ tenant }: { tenant: string }) {
  const { can } = useAuth();
  const navigate = useNavigate();
  const [ref, setRef] = useState('');
  const [decision, setDecision] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);
  const [debouncedRef] = useDebouncedValue(ref, 300);
  const query: ApplicationFilters = {
    limit: PAGE,
    offset: (page - 1) * PAGE,
    external_ref: debouncedRef.trim() || undefined,
    decision: (decision ?? undefined) as ApplicationFilters['decision'],
    created_from: toIso(from, false),
    created_to: toIso(to, true),
  };
  const apps = useApplications(tenant, query);
  const filter =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPage(1);
    };

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
            <TextInput
              label="External reference"
              placeholder="LOS-000123"
              value={ref}
              onChange={(e) => filter(setRef)(e.currentTarget.value)}
            />
            <Select
              label="Decision"
              placeholder="Any"
              clearable
              data={['Approve', 'Review', 'Reject']}
              value={decision}
              onChange={filter(setDecision)}
            />
            <TextInput label="From" type="date" value={from} onChange={(e) => filter(setFrom)(e.currentTarget.value)} />
            <TextInput label="To" type="date" value={to} onChange={(e) => filter(setTo)(e.currentTarget.value)} />
          </SimpleGrid>
        </Paper>
        <QueryState
          query={apps}
          feature="Applications"
          isEmpty={(d) => d.items.length === 0}
          empty={<EmptyState title="No applications match">Scored applications appear here.</EmptyState>}
        >
          {(data) => (
            <Stack>
              <Paper withBorder radius="md">
                <Table.ScrollContainer minWidth={720}>
                  <Table highlightOnHover verticalSpacing="sm" aria-label="Applications">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Reference</Table.Th>
                        <Table.Th>Decided</Table.Th>
                        <Table.Th>Decision</Table.Th>
                        <Table.Th>Score</Table.Th>
                        <Table.Th>Credit score</Table.Th>
                        <Table.Th>PD</Table.Th>
                        <Table.Th>Applicant</Table.Th>
                        <Table.Th ta="right">Loan</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {data.items.map((a) => (
                        <Table.Tr
                          key={a.application_id}
                          style={{ cursor: 'pointer' }}
                          onClick={() => void navigate(`/applications/${a.application_id}`)}
                        >
                          <Table.Td>
                            <Anchor component={Link} to={`/applications/${a.application_id}`} onClick={(e) => e.stopPropagation()}>
                              {a.external_ref || a.application_id.slice(0, 12)}
                            </Anchor>
                          </Table.Td>
                          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(a.created_at)}</Table.Td>
                          <Table.Td>
                            <DecisionBadge decision={a.decision} size="sm" />
                          </Table.Td>
                          <Table.Td fw={600}>{a.score}</Table.Td>
                          <Table.Td>{a.credit_score}</Table.Td>
                          <Table.Td>{formatPercent(a.pd)}</Table.Td>
                          <Table.Td>
                            <Text size="sm" truncate maw={200}>
                              {a.applicant_name ?? '—'}
                            </Text>
                          </Table.Td>
                          <Table.Td ta="right">{formatMoney(a.loan_amount)}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              </Paper>
              <Group justify="space-between">
                <Text size="sm" c="dimmed">
                  {data.total.toLocaleString('en-IN')} applications
                </Text>
                {data.total > PAGE && <Pagination total={Math.ceil(data.total / PAGE)} value={page} onChange={setPage} siblings={1} />}
              </Group>
            </Stack>
          )}
        </QueryState>
      </Stack>
    </>
  );
}

export default function ApplicationsPage() {
  return <WithTenant>{(tenant) => <Applications tenant={tenant} />}</WithTenant>;
}
