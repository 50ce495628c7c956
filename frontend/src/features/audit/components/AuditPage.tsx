import {
  Badge,
  Button,
  Code,
  Group,
  Pagination,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { DateInput } from '@/components/DateInput';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { EmptyState } from '@/components/StatusPanels';
import { useAuth } from '@/lib/auth';
import { formatDateTime } from '@/lib/format';
import { useTenant } from '@/lib/tenant';
import { useAuditEvents, type AuditChain, type AuditFilters } from '../api/list-audit-events';
import { ChainStatus } from './ChainStatus';

const PAGE = 25;
const OUTCOME_COLOR: Record<string, string> = { success: 'teal', failure: 'red', denied: 'orange' };

function toIso(date: string, endOfDay: boolean): string | undefined {
  if (!date) return undefined;
  // The user picks calendar days in India time; the API wants instants.
  return new Date(`${date}T${endOfDay ? '23:59:59' : '00:00:00'}+05:30`).toISOString();
}

export default function AuditPage() {
  const { can } = useAuth();
  const { tenant } = useTenant();
  const platformAllowed = can('ops:manage');
  const tenantAllowed = can('audit:read') && !!tenant;
  const [scope, setScope] = useState<'tenant' | 'platform'>(tenantAllowed ? 'tenant' : 'platform');
  const chain: AuditChain = scope === 'platform' || !tenantAllowed ? null : tenant;

  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [outcome, setOutcome] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);
  const [cleared, setCleared] = useState(0); // remounts the date fields: a half-typed date is cleared too
  const [debounced] = useDebouncedValue({ action, actor }, 300);

  const query: AuditFilters = {
    limit: PAGE,
    offset: (page - 1) * PAGE,
    action: debounced.action.trim() || undefined,
    actor: debounced.actor.trim() || undefined,
    outcome: (outcome ?? undefined) as AuditFilters['outcome'],
    created_from: toIso(from, false),
    created_to: toIso(to, true),
  };
  const events = useAuditEvents(chain, query);
  const reset = () => {
    setAction('');
    setActor('');
    setOutcome(null);
    setFrom('');
    setTo('');
    setPage(1);
    setCleared((n) => n + 1);
  };
  const onFilter =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPage(1);
    };

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
                setPage(1);
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
            <TextInput
              label="Action starts with"
              placeholder="auth.login"
              value={action}
              onChange={(e) => onFilter(setAction)(e.currentTarget.value)}
            />
            <TextInput
              label="Actor e-mail"
              placeholder="name@lender.in"
              value={actor}
              onChange={(e) => onFilter(setActor)(e.currentTarget.value)}
            />
            <Select
              label="Outcome"
              placeholder="Any"
              clearable
              data={['success', 'failure', 'denied']}
              value={outcome}
              onChange={onFilter(setOutcome)}
            />
            <DateInput key={`from-${cleared}`} label="From" value={from} max={to || undefined} onChange={onFilter(setFrom)} />
            <DateInput key={`to-${cleared}`} label="To" value={to} min={from || undefined} onChange={onFilter(setTo)} />
          </SimpleGrid>
          <Group justify="flex-end" mt="sm">
            <Button variant="subtle" size="xs" onClick={reset}>
              Clear filters
            </Button>
          </Group>
        </Paper>
        <QueryState
          query={events}
          feature="Audit events"
          isEmpty={(d) => d.items.length === 0}
          empty={<EmptyState title="No events match these filters" />}
        >
          {(data) => (
            <Stack>
              <Paper withBorder radius="md">
                <Table.ScrollContainer minWidth={760}>
                  <Table verticalSpacing="xs" striped aria-label="Audit events">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>#</Table.Th>
                        <Table.Th>When</Table.Th>
                        <Table.Th>Action</Table.Th>
                        <Table.Th>Actor</Table.Th>
                        <Table.Th>Resource</Table.Th>
                        <Table.Th>Outcome</Table.Th>
                        <Table.Th>IP</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {data.items.map((e) => (
                        <Table.Tr key={e.id}>
                          <Table.Td c="dimmed">{e.seq}</Table.Td>
                          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.created_at)}</Table.Td>
                          <Table.Td>
                            <Code>{e.action}</Code>
                          </Table.Td>
                          <Table.Td>{e.actor_email ?? e.actor_type}</Table.Td>
                          <Table.Td>
                            <Text size="sm" truncate maw={220}>
                              {e.resource_type ? `${e.resource_type}${e.resource_id ? ` ${e.resource_id}` : ''}` : '—'}
                            </Text>
                          </Table.Td>
                          <Table.Td>
                            <Badge color={OUTCOME_COLOR[e.outcome] ?? 'gray'} variant="light">
                              {e.outcome}
                            </Badge>
                          </Table.Td>
                          <Table.Td>{e.ip ?? '—'}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              </Paper>
              <Group justify="space-between">
                <Text size="sm" c="dimmed">
                  {data.total.toLocaleString('en-IN')} events
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
