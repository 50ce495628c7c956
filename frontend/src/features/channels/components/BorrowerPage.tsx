import {
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Timeline,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconBellOff, IconBellRinging, IconCheck, IconHistory, IconPlus, IconX } from '@tabler/icons-react';
import { useState } from 'react';
import { useParams } from 'react-router';
import { ErrorAlert } from '@/components/ErrorAlert';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { useAuth } from '@/lib/auth';
import { ApiError, fieldErrors } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { useConsents, useRecordLedgerEntry, type Consents, type LedgerEntry } from '../api/consents';
import { CHANNEL_NAMES, PURPOSE_NAMES, PURPOSE_OPTIONS, label, type ChannelCode, type PurposeCode } from './channel-words';
import { SOURCE_NAMES, ledgerSentence, standing, type Source } from './consent-words';
import { MessageLog } from './MessageLog';

type Dialog = { kind: 'opt-out' | 'opt-in'; channel: ChannelCode | 'all' } | { kind: 'consent' } | null;

const SOURCE_OPTIONS = Object.entries(SOURCE_NAMES).map(([value, l]) => ({ value, label: l }));
const CHANNEL_OR_ALL = [
  { value: 'all', label: 'Every channel' },
  ...Object.entries(CHANNEL_NAMES).map(([value, l]) => ({ value, label: l })),
];

interface EntryValues {
  channel: string;
  purpose: PurposeCode | null;
  action: 'granted' | 'withdrawn';
  source: Source;
  evidence: string;
}

/** Record one ledger entry: an opt-out, an opt-in (with the borrower's request as evidence) or a consent. */
function EntryDialog({ tenant, customerId, dialog, onClose }: { tenant: string; customerId: string; dialog: Dialog; onClose: () => void }) {
  const record = useRecordLedgerEntry(tenant, customerId);
  const kind = dialog?.kind ?? 'consent';
  const form = useForm<EntryValues>({
    mode: 'controlled',
    initialValues: {
      channel: dialog && 'channel' in dialog ? dialog.channel : 'sms',
      purpose: null,
      action: 'granted',
      source: 'portal',
      evidence: '',
    },
    validate: {
      evidence: (v) =>
        kind === 'opt-in' && v.trim().length < 3 ? 'What shows the borrower asked: a message id, a call, a form number' : null,
      purpose: (v) => (kind === 'consent' && !v ? 'Choose what the borrower agreed to' : null),
    },
  });
  const title =
    kind === 'opt-out' ? 'Opt the borrower out' : kind === 'opt-in' ? 'The borrower asked to hear from us again' : 'Record a consent';
  const submit = form.onSubmit((v) => {
    const evidence = v.evidence.trim() || null;
    const entry: LedgerEntry =
      kind === 'opt-out'
        ? { kind, body: { channel: v.channel as ChannelCode | 'all', source: v.source, evidence } }
        : kind === 'opt-in'
          ? { kind, body: { channel: v.channel as ChannelCode | 'all', source: v.source, evidence: v.evidence.trim() } }
          : {
              kind: 'consent',
              body: { channel: v.channel as ChannelCode, purpose: v.purpose!, action: v.action, source: v.source, evidence },
            };
    record.mutate(entry, {
      onSuccess: () => {
        notifications.show({ color: 'teal', message: `${title}: recorded in the ledger` });
        onClose();
      },
      onError: (err) => form.setErrors(fieldErrors(err)),
    });
  });
  return (
    <Modal opened={dialog !== null} onClose={onClose} title={title} centered>
      <form onSubmit={submit} noValidate aria-label={title}>
        <Stack gap="sm">
          {kind === 'opt-out' && (
            <Text size="sm">
              No message of any purpose goes to this borrower on the channel chosen, until they ask to hear from us again.
            </Text>
          )}
          <Select
            label="Channel"
            data={kind === 'consent' ? CHANNEL_OR_ALL.slice(1) : CHANNEL_OR_ALL}
            allowDeselect={false}
            {...form.getInputProps('channel')}
          />
          {kind === 'consent' && (
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <Select label="Purpose" data={PURPOSE_OPTIONS} {...form.getInputProps('purpose')} />
              <Select
                label="The borrower"
                allowDeselect={false}
                data={[
                  { value: 'granted', label: 'Agreed' },
                  { value: 'withdrawn', label: 'Withdrew' },
                ]}
                {...form.getInputProps('action')}
              />
            </SimpleGrid>
          )}
          <Select label="How we heard" data={SOURCE_OPTIONS} allowDeselect={false} {...form.getInputProps('source')} />
          <TextInput
            label={kind === 'opt-in' ? 'Evidence of the request' : 'Evidence (optional)'}
            description="A message or call id, a form number"
            required={kind === 'opt-in'}
            maxLength={500}
            {...form.getInputProps('evidence')}
          />
          {record.isError && !(record.error instanceof ApiError && record.error.status === 422) && (
            <ErrorAlert error={record.error} title="Not recorded" />
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={record.isPending} color={kind === 'opt-out' ? 'red' : undefined}>
              {kind === 'opt-out' ? 'Opt out' : 'Record'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function Standing({ consents, onDialog }: { consents: Consents; onDialog: (d: Dialog) => void }) {
  const { can } = useAuth();
  const rows = standing(consents);
  const anyAll = rows.some((r) => r.optedOutOfAll);
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" mb="xs" gap="xs">
        <Title order={2} size="h4">
          Consent and opt-outs
        </Title>
        <Can need="channels:consent">
          <Group gap="xs">
            <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onDialog({ kind: 'consent' })}>
              Record consent
            </Button>
            {!anyAll && (
              <Button
                size="xs"
                variant="light"
                color="red"
                leftSection={<IconBellOff size={14} />}
                onClick={() => onDialog({ kind: 'opt-out', channel: 'all' })}
              >
                Opt out of everything
              </Button>
            )}
          </Group>
        </Can>
      </Group>
      {anyAll && (
        <Alert color="red" variant="light" mb="sm" icon={<IconBellOff size={18} />} data-testid="opted-out-all">
          The borrower opted out of every channel: nothing is sent to them, whatever the purpose.
        </Alert>
      )}
      <Table verticalSpacing="xs" aria-label="Consent by channel">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Channel</Table.Th>
            <Table.Th>Status</Table.Th>
            {can('channels:consent') && <Table.Th aria-label="Actions" />}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.channel} data-testid={`standing-${r.channel}`}>
              <Table.Td>
                <Text size="sm" fw={500}>
                  {CHANNEL_NAMES[r.channel]}
                </Text>
                {r.purposes.length > 0 && (
                  <Text size="xs" c="dimmed">
                    Agreed to: {r.purposes.map((p) => label(PURPOSE_NAMES, p)).join(', ')}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {r.optedOut ? (
                  <Badge color="red" variant="light" tt="none">
                    Opted out
                  </Badge>
                ) : (
                  <Badge color="teal" variant="light" tt="none">
                    May contact
                  </Badge>
                )}
              </Table.Td>
              {can('channels:consent') && (
                <Table.Td ta="right">
                  {r.optedOut ? (
                    <Button
                      size="compact-xs"
                      variant="subtle"
                      leftSection={<IconBellRinging size={12} />}
                      onClick={() => onDialog({ kind: 'opt-in', channel: r.optedOutOfAll ? 'all' : r.channel })}
                    >
                      Opt in
                    </Button>
                  ) : (
                    <Button
                      size="compact-xs"
                      variant="subtle"
                      color="red"
                      leftSection={<IconBellOff size={12} />}
                      onClick={() => onDialog({ kind: 'opt-out', channel: r.channel })}
                      aria-label={`Opt out of ${CHANNEL_NAMES[r.channel]}`}
                    >
                      Opt out
                    </Button>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

function Ledger({ consents }: { consents: Consents }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Group gap={6} mb="sm">
        <IconHistory size={18} />
        <Title order={2} size="h4">
          Ledger
        </Title>
      </Group>
      {consents.history.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nothing recorded yet.
        </Text>
      ) : (
        <Timeline bulletSize={20} lineWidth={2} data-testid="consent-ledger">
          {consents.history.map((e) => (
            <Timeline.Item
              key={e.id}
              color={e.action === 'opted_out' || e.action === 'withdrawn' ? 'red' : 'teal'}
              bullet={e.action === 'opted_out' || e.action === 'withdrawn' ? <IconX size={12} /> : <IconCheck size={12} />}
              title={ledgerSentence(e)}
            >
              <Text size="xs" c="dimmed">
                {formatDateTime(e.created_at)} · {SOURCE_NAMES[e.source as Source] ?? e.source}
                {e.recorded_by ? ` · ${e.recorded_by}` : ''}
              </Text>
              {e.evidence && (
                <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
                  Evidence: {e.evidence}
                </Text>
              )}
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </Paper>
  );
}

function Borrower({ tenant, customerId }: { tenant: string; customerId: string }) {
  const consents = useConsents(tenant, customerId);
  const [dialog, setDialog] = useState<Dialog>(null);
  return (
    <>
      <PageHeader
        title="Borrower"
        description={
          <>
            Customer <b>{customerId}</b>: what they agreed to, their opt-outs (DPDP: withdrawing is as easy as agreeing), and every message
            to them.
          </>
        }
      />
      <Stack gap="md">
        <QueryState query={consents} feature="Consents">
          {(data) => (
            <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
              <Standing consents={data} onDialog={setDialog} />
              <Ledger consents={data} />
            </SimpleGrid>
          )}
        </QueryState>
        <Title order={2} size="h4" mt="sm">
          Messages
        </Title>
        <MessageLog tenant={tenant} borrowerId={customerId} />
      </Stack>
      {dialog && (
        <EntryDialog key={JSON.stringify(dialog)} tenant={tenant} customerId={customerId} dialog={dialog} onClose={() => setDialog(null)} />
      )}
    </>
  );
}

export default function BorrowerPage() {
  const { id = '' } = useParams();
  return <WithTenant>{(tenant) => <Borrower tenant={tenant} customerId={id} />}</WithTenant>;
}
