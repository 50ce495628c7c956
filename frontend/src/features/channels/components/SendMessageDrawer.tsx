import { Alert, Button, Drawer, Group, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconBan, IconClock, IconSend } from '@tabler/icons-react';
import { useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { ApiError, fieldErrors } from '@/lib/errors';
import { useTemplates } from '../api/list-templates';
import type { Message } from '../api/list-messages';
import { useSendMessage } from '../api/send-message';
import { CHANNEL_OPTIONS, LANGUAGE_NAMES, blockedReason, label, type ContactWindow } from './channel-words';
import { idempotencyKey, sendLanguages, toMessage, variableHint, type SendValues } from './message-send';

/** Where a 422 names a field the form shows it; the rest are listed above the button. */
const FORM_FIELDS = /^(id|channel|template|language|variables\..+)$/;

function Outcome({ message, window, onOpen }: { message: Message; window?: ContactWindow; onOpen: (id: string) => void }) {
  if (message.status === 'blocked') {
    return (
      <Alert color="orange" variant="light" icon={<IconBan size={18} />} title="Blocked: not sent" role="status" data-testid="send-outcome">
        <Text size="sm" fw={600} data-testid="send-blocked-reason">
          {blockedReason(message.blocked_by, window)}
        </Text>
        <Text size="sm">The attempt is kept in the message log with the rule that blocked it.</Text>
        <Button size="xs" variant="light" color="orange" mt="xs" onClick={() => onOpen(message.id)}>
          Open the message
        </Button>
      </Alert>
    );
  }
  return (
    <Alert color="teal" variant="light" icon={<IconClock size={18} />} title="Queued" role="status" data-testid="send-outcome">
      <Text size="sm">It goes out shortly; its status follows the provider&apos;s receipts.</Text>
      <Button size="xs" variant="light" color="teal" mt="xs" onClick={() => onOpen(message.id)}>
        Open the message
      </Button>
    </Alert>
  );
}

/**
 * Send one approved template to a borrower (or a loan's borrower): the variables it declares, checked by
 * the server (422s at the field); the contact policy decides, and a blocked send says which rule.
 */
export function SendMessageDrawer({
  tenant,
  opened,
  onClose,
  borrowerId,
  window,
  onOpenMessage,
}: {
  tenant: string;
  opened: boolean;
  onClose: () => void;
  /** a borrower's page sends to that borrower */
  borrowerId?: string;
  window?: ContactWindow;
  onOpenMessage: (id: string) => void;
}) {
  const send = useSendMessage(tenant);
  const [lastKey, setLastKey] = useState<{ body: string; key: string } | null>(null);
  const form = useForm<SendValues>({
    mode: 'controlled',
    initialValues: {
      to: borrowerId ? 'borrower' : 'loan',
      id: borrowerId ?? '',
      channel: null,
      template: null,
      language: null,
      variables: {},
    },
    validate: {
      id: (v, values) => (v.trim() ? null : values.to === 'loan' ? 'Enter the loan id' : 'Enter the borrower (customer) id'),
      channel: (v) => (v ? null : 'Choose a channel'),
      template: (v) => (v ? null : 'Choose an approved template'),
    },
  });
  const v = form.values;
  const approved = useTemplates(tenant, { channel: v.channel ?? undefined, status: 'approved', limit: 500 }, v.channel !== null);
  const items = approved.data?.items ?? [];
  const template = items.find((t) => t.id === v.template) ?? null;
  const languages = template ? sendLanguages(template, items) : [];

  const submit = form.onSubmit((values) => {
    if (!template) return;
    send.reset();
    const body = toMessage(values, template);
    const attempt = idempotencyKey(lastKey, body);
    setLastKey(attempt);
    send.mutate(
      { body, idempotencyKey: attempt.key },
      {
        onError: (err) => {
          const errors = fieldErrors(err);
          const placed: Record<string, string> = {};
          for (const [path, message] of Object.entries(errors)) {
            const key = path === 'loan_id' || path === 'borrower_id' ? 'id' : path;
            if (FORM_FIELDS.test(key)) placed[key] = message;
          }
          form.setErrors(placed);
        },
      },
    );
  });

  const unplaced =
    send.error instanceof ApiError && send.error.status === 422
      ? Object.entries(fieldErrors(send.error)).filter(([p]) => !FORM_FIELDS.test(p === 'loan_id' || p === 'borrower_id' ? 'id' : p))
      : [];

  return (
    <Drawer opened={opened} onClose={onClose} position="right" size="min(560px, 100%)" title="Send a message">
      <form onSubmit={submit} noValidate aria-label="Send a message">
        <Stack gap="sm">
          {!borrowerId && (
            <SegmentedControl
              data={[
                { value: 'loan', label: 'To a loan’s borrower' },
                { value: 'borrower', label: 'To a borrower' },
              ]}
              {...form.getInputProps('to')}
            />
          )}
          <TextInput
            label={v.to === 'loan' ? 'Loan id' : 'Borrower (customer) id'}
            required
            readOnly={!!borrowerId}
            {...form.getInputProps('id')}
          />
          <Select
            label="Channel"
            required
            data={CHANNEL_OPTIONS}
            {...form.getInputProps('channel')}
            onChange={(c) => {
              form.setFieldValue('channel', c as SendValues['channel']);
              form.setFieldValue('template', null);
              form.setFieldValue('language', null);
              form.setFieldValue('variables', {});
            }}
          />
          <Select
            label="Template"
            required
            searchable
            placeholder={
              v.channel ? (approved.isPending ? 'Loading approved templates…' : 'Approved templates only') : 'Choose a channel first'
            }
            nothingFoundMessage="No approved template for this channel"
            disabled={!v.channel}
            data={items.map((t) => ({ value: t.id, label: `${t.name} · v${t.version}` }))}
            {...form.getInputProps('template')}
            onChange={(id) => {
              const t = items.find((x) => x.id === id);
              form.setFieldValue('template', id);
              form.setFieldValue('language', (t?.language ?? null) as SendValues['language']);
              form.setFieldValue('variables', {});
            }}
          />
          <Select
            label="Language"
            placeholder={template ? undefined : 'Choose a template first'}
            data={languages.map((l) => ({ value: l, label: label(LANGUAGE_NAMES, l) }))}
            disabled={!template}
            {...form.getInputProps('language')}
          />
          {template && (
            <>
              <Text size="sm" c="dimmed" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid="send-template-body">
                {template.body}
              </Text>
              {Object.entries(template.variables).map(([name, spec]) => (
                <TextInput
                  key={name}
                  label={name}
                  description={variableHint(spec)}
                  required
                  {...form.getInputProps(`variables.${name}`)}
                  value={v.variables[name] ?? ''}
                />
              ))}
            </>
          )}
          {unplaced.length > 0 && (
            <Alert color="red" variant="light" title="Not sent" role="alert">
              {unplaced.map(([p, m]) => (
                <Text key={p} size="sm">
                  {p}: {m}
                </Text>
              ))}
            </Alert>
          )}
          {send.isError && !(send.error instanceof ApiError && send.error.status === 422) && (
            <ErrorAlert error={send.error} title="Not sent" />
          )}
          {send.isError && send.error instanceof ApiError && send.error.status === 422 && unplaced.length === 0 && (
            <Text size="sm" c="red" role="alert">
              Not sent: correct the fields marked in red.
            </Text>
          )}
          {send.data && <Outcome message={send.data} window={window} onOpen={onOpenMessage} />}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" leftSection={<IconSend size={16} />} loading={send.isPending} disabled={!template}>
              Send
            </Button>
          </Group>
        </Stack>
      </form>
    </Drawer>
  );
}
