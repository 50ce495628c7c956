import { Anchor, Button, Group, Paper, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { IconSend } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { DataTable, type Column } from '@/components/DataTable';
import { Can } from '@/components/Guards';
import { EmptyState } from '@/components/StatusPanels';
import { formatDateTime, formatMoney } from '@/lib/format';
import { useListFilters } from '@/lib/list-filters';
import { useContactPolicy } from '../api/get-contact-policy';
import { useMessages, type Message, type MessageFilters } from '../api/list-messages';
import { CHANNEL_NAMES, CHANNEL_OPTIONS, LANGUAGE_NAMES, STATUS_OPTIONS, blockedReason, label, type ContactWindow } from './channel-words';
import { MessageDetail, StatusBadge } from './MessageDetail';
import { SendMessageDrawer } from './SendMessageDrawer';

/** Who may send from the portal (the server checks it too: 403 otherwise). */
export const SEND_PERMISSION = 'messages:send' as const;

type Status = NonNullable<MessageFilters['status']>;
type Channel = NonNullable<MessageFilters['channel']>;

function columns(window: ContactWindow | undefined, withBorrower: boolean): Column<Message>[] {
  return [
    { header: 'Created', cell: (m) => formatDateTime(m.created_at), td: { style: { whiteSpace: 'nowrap' } } },
    {
      header: 'Status',
      cell: (m) => (
        <Stack gap={2}>
          <StatusBadge status={m.status} />
          {m.status === 'blocked' && (
            <Text size="xs" c="orange.8" data-testid={`blocked-${m.id}`}>
              {blockedReason(m.blocked_by, window)}
            </Text>
          )}
          {m.status === 'failed' && m.error && (
            <Text size="xs" c="red.8" lineClamp={2}>
              {m.error}
            </Text>
          )}
        </Stack>
      ),
      td: { maw: 240 },
    },
    { header: 'Channel', cell: (m) => label(CHANNEL_NAMES, m.channel) },
    {
      header: 'Template',
      cell: (m) => (
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {m.template_name} v{m.template_version}{' '}
          <Text span size="xs" c="dimmed">
            {label(LANGUAGE_NAMES, m.language).split(' · ')[0]}
          </Text>
        </Text>
      ),
    },
    ...(withBorrower
      ? [
          {
            header: 'Borrower',
            cell: (m: Message) => (
              <Anchor component={Link} to={`/borrowers/${m.borrower_id}`} size="sm" onClick={(e) => e.stopPropagation()}>
                {m.borrower_id.slice(0, 8)}
              </Anchor>
            ),
            td: { style: { whiteSpace: 'nowrap' as const } },
          },
        ]
      : []),
    {
      header: 'Loan',
      cell: (m) => (m.loan_id ? <span title={m.loan_id}>{m.loan_id.slice(0, 8)}</span> : '—'),
      td: { style: { whiteSpace: 'nowrap' } },
    },
    { header: 'To', cell: (m) => m.recipient ?? '—', td: { style: { whiteSpace: 'nowrap' } } },
    { header: 'Cost', cell: (m) => (m.cost != null ? formatMoney(m.cost, true) : '—'), th: { ta: 'right' }, td: { ta: 'right' } },
  ];
}

/** The contact window blocked messages are explained with: the tenant's, RBI's until it loads. */
export function useContactWindow(tenant: string): ContactWindow | undefined {
  const policy = useContactPolicy(tenant);
  return policy.data ? { start: policy.data.window_start, end: policy.data.window_end } : undefined;
}

/** The message log: filters, status badges with the rule that blocked a message, a row opens its history. */
export function MessageLog({ tenant, borrowerId }: { tenant: string; borrowerId?: string }) {
  const filters = useListFilters(
    { status: null as Status | null, channel: null as Channel | null, loan_id: '', borrower_id: '' },
    { debounce: ['loan_id', 'borrower_id'] },
  );
  const { form, values } = filters;
  const messages = useMessages(tenant, {
    status: values.status ?? undefined,
    channel: values.channel ?? undefined,
    loan_id: values.loan_id.trim() || undefined,
    borrower_id: borrowerId ?? (values.borrower_id.trim() || undefined),
    limit: filters.limit,
    offset: filters.offset,
  });
  const window = useContactWindow(tenant);
  const [open, setOpen] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  return (
    <Stack gap="md">
      <Paper withBorder p="md" radius="md" component="form" aria-label="Filter messages" onSubmit={(e) => e.preventDefault()}>
        <Group align="flex-end" gap="sm" wrap="wrap">
          <SimpleGrid cols={{ base: 1, xs: 2, md: borrowerId ? 3 : 4 }} spacing="sm" style={{ flex: '1 1 480px' }}>
            <Select label="Status" placeholder="Any" clearable data={STATUS_OPTIONS} {...form.getInputProps('status')} />
            <Select label="Channel" placeholder="Any" clearable data={CHANNEL_OPTIONS} {...form.getInputProps('channel')} />
            <TextInput label="Loan id" {...form.getInputProps('loan_id')} />
            {!borrowerId && <TextInput label="Borrower id" {...form.getInputProps('borrower_id')} />}
          </SimpleGrid>
          <Can need={SEND_PERMISSION}>
            <Button leftSection={<IconSend size={16} />} onClick={() => setSending(true)}>
              Send message
            </Button>
          </Can>
        </Group>
      </Paper>
      <DataTable
        query={messages}
        feature="Message log"
        empty={<EmptyState title="No messages match">Every message sent or blocked appears here, with its status history.</EmptyState>}
        label="Messages"
        columns={columns(window, !borrowerId)}
        rowKey={(m) => m.id}
        rowProps={(m) => ({
          style: { cursor: 'pointer' },
          onClick: () => setOpen(m.id),
          tabIndex: 0,
          onKeyDown: (e) => {
            if (e.key === 'Enter') setOpen(m.id);
          },
          'data-testid': `message-${m.id}`,
        })}
        minWidth={880}
        table={{ highlightOnHover: true }}
        paging={filters.paging}
        count={(n) => (n === '1' ? '1 message' : `${n} messages`)}
      />
      <MessageDetail tenant={tenant} messageId={open} window={window} onClose={() => setOpen(null)} />
      {sending && (
        <SendMessageDrawer
          tenant={tenant}
          opened
          onClose={() => setSending(false)}
          borrowerId={borrowerId}
          window={window}
          onOpenMessage={(id) => {
            setSending(false);
            setOpen(id);
          }}
        />
      )}
    </Stack>
  );
}
