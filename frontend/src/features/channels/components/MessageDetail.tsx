import { Alert, Anchor, Badge, Drawer, Group, Stack, Table, Text, Timeline } from '@mantine/core';
import { IconBan, IconCheck, IconChecks, IconClock, IconEye, IconSend, IconX } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { QueryState } from '@/components/QueryState';
import { formatDateTime, formatMoney } from '@/lib/format';
import { useMessage } from '../api/get-message';
import type { Message } from '../api/list-messages';
import { CHANNEL_NAMES, LANGUAGE_NAMES, STATUS_NAMES, blockedReason, label, statusColor, type ContactWindow } from './channel-words';

const ICONS: Record<string, ReactNode> = {
  queued: <IconClock size={12} />,
  sent: <IconSend size={12} />,
  delivered: <IconCheck size={12} />,
  read: <IconEye size={12} />,
  failed: <IconX size={12} />,
  blocked: <IconBan size={12} />,
};

export function StatusBadge({ status, size = 'sm' }: { status: string; size?: 'xs' | 'sm' | 'md' }) {
  return (
    <Badge color={statusColor(status)} variant={status === 'blocked' || status === 'failed' ? 'filled' : 'light'} size={size}>
      {label(STATUS_NAMES, status)}
    </Badge>
  );
}

/** The message's way from queued to read (or failed, or blocked), oldest first. */
export function StatusTimeline({ message }: { message: Message }) {
  const steps = message.history?.length ? message.history : [{ status: message.status, at: message.created_at, detail: null }];
  return (
    <Timeline active={steps.length - 1} bulletSize={22} lineWidth={2} data-testid="message-timeline">
      {steps.map((step, i) => (
        <Timeline.Item
          key={`${step.status}-${i}`}
          bullet={ICONS[step.status]}
          color={statusColor(step.status)}
          title={label(STATUS_NAMES, step.status)}
        >
          <Text size="xs" c="dimmed">
            {formatDateTime(step.at)}
          </Text>
          {step.detail && (
            <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
              {step.detail}
            </Text>
          )}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function Facts({ message }: { message: Message }) {
  const rows: [string, ReactNode][] = [
    ['Channel', label(CHANNEL_NAMES, message.channel)],
    ['Template', `${message.template_name} v${message.template_version} · ${label(LANGUAGE_NAMES, message.language).split(' · ')[0]}`],
    ['Purpose', message.purpose],
    [
      'Borrower',
      <Anchor component={Link} to={`/borrowers/${message.borrower_id}`} size="sm" key="b">
        {message.borrower_id}
      </Anchor>,
    ],
    ['Loan', message.loan_id ?? '—'],
    [
      'To',
      `${message.recipient ?? '—'}${message.recipient_role && message.recipient_role !== 'borrower' ? ` (${message.recipient_role})` : ''}`,
    ],
    ['Provider id', message.provider_message_id ?? '—'],
    ['SMS parts', message.segments ?? '—'],
    ['Cost', message.cost != null ? formatMoney(message.cost, true) : '—'],
    ['Sent by', `${message.created_by ?? message.initiated_by}`],
  ];
  return (
    <Table variant="vertical" layout="fixed" withRowBorders={false} verticalSpacing={4} fz="sm">
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Th w={110}>{k}</Table.Th>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>{v}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** A message in a drawer: why it was blocked or failed, its status history as a timeline, what and to whom. */
export function MessageDetail({
  tenant,
  messageId,
  window,
  onClose,
}: {
  tenant: string;
  messageId: string | null;
  window?: ContactWindow;
  onClose: () => void;
}) {
  const message = useMessage(tenant, messageId);
  return (
    <Drawer opened={messageId !== null} onClose={onClose} position="right" size="min(560px, 100%)" title="Message">
      {messageId && (
        <QueryState query={message} feature="Message">
          {(m) => (
            <Stack gap="md" data-testid="message-detail">
              <Group gap="xs">
                <StatusBadge status={m.status} size="md" />
                <Text size="sm" c="dimmed">
                  {formatDateTime(m.created_at)}
                </Text>
              </Group>
              {m.status === 'blocked' && (
                <Alert color="orange" variant="light" icon={<IconBan size={18} />} title="Not sent: the contact policy blocked it">
                  <Text size="sm" data-testid="blocked-reason">
                    {blockedReason(m.blocked_by, window)}
                  </Text>
                </Alert>
              )}
              {m.status === 'failed' && (
                <Alert color="red" variant="light" icon={<IconX size={18} />} title="The provider did not deliver it">
                  <Text size="sm">
                    {m.error ?? 'No reason given'}
                    {m.error_code ? ` (${m.error_code})` : ''}
                  </Text>
                </Alert>
              )}
              {m.status === 'read' && (
                <Group gap={4}>
                  <IconChecks size={16} color="var(--mantine-color-green-7)" />
                  <Text size="sm">Read {formatDateTime(m.read_at)}</Text>
                </Group>
              )}
              <StatusTimeline message={m} />
              <Facts message={m} />
            </Stack>
          )}
        </QueryState>
      )}
    </Drawer>
  );
}
