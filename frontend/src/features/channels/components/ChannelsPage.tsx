import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  NumberInput,
  Paper,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconCircleCheck, IconCopy, IconPlugConnected, IconPlugConnectedX } from '@tabler/icons-react';
import { useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { useAuth } from '@/lib/auth';
import { ApiError, errorMessage, fieldErrors } from '@/lib/errors';
import { formatDateTime, formatNumber } from '@/lib/format';
import { useChannelSettings, usePutChannelSettings, type ChannelName, type ChannelSettings } from '../api/channel-settings';
import { useTestChannel, type ChannelTest } from '../api/test-channel';
import { CHANNEL_NAMES } from './channel-words';
import {
  CHANNEL_FIELDS,
  CHANNEL_SECRETS,
  SECRET_LABELS,
  redacted,
  toChannelBody,
  toChannelValues,
  type ChannelValues,
  type FieldSpec,
} from './channel-form';

const CHANNELS: ChannelName[] = ['sms', 'whatsapp', 'email', 'voice'];
const BLURBS: Record<ChannelName, string> = {
  sms: 'An Indian SMS gateway (Exotel-shaped HTTP API) with your DLT entity, header and template ids.',
  whatsapp: 'WhatsApp Business Cloud API: approved templates, the 24-hour service window, signed webhooks.',
  email: 'Your SMTP server, with STARTTLS.',
  voice: 'A voice gateway’s call API: a text-to-speech prompt and keypad answers.',
};

function TestResult({ outcome }: { outcome: ChannelTest | { ok: false; latency_ms: null; detail: string } }) {
  const latency = outcome.latency_ms != null ? `${formatNumber(outcome.latency_ms)} ms` : null;
  return (
    <Alert
      variant="light"
      color={outcome.ok ? 'teal' : 'red'}
      icon={outcome.ok ? <IconCircleCheck size={18} /> : <IconPlugConnectedX size={18} />}
      title={outcome.ok ? `Connected in ${latency}` : `Connection failed${latency ? ` after ${latency}` : ''}`}
      role="status"
      data-testid="channel-test-result"
      styles={{ message: { overflowWrap: 'anywhere' } }}
    >
      <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
        {outcome.detail}
      </Text>
    </Alert>
  );
}

function Field({ spec, form, readOnly }: { spec: FieldSpec; form: ReturnType<typeof useForm<ChannelValues>>; readOnly: boolean }) {
  const props = form.getInputProps(`fields.${spec.name}`, spec.kind === 'switch' ? { type: 'checkbox' } : undefined);
  const common = { label: spec.label, description: spec.description, placeholder: spec.placeholder };
  switch (spec.kind) {
    case 'number':
      return <NumberInput {...common} {...props} readOnly={readOnly} min={0} />;
    case 'switch':
      return <Switch {...common} {...props} disabled={readOnly} mt="md" />;
    case 'select':
      return <Select {...common} {...props} data={spec.options ?? []} readOnly={readOnly} clearable={!readOnly} />;
    case 'pem':
      return <Textarea {...common} {...props} readOnly={readOnly} autosize minRows={2} maxRows={6} ff="monospace" />;
    default:
      return <TextInput {...common} {...props} readOnly={readOnly} />;
  }
}

function WebhookPath({ path }: { path: string }) {
  const url = `${globalThis.location?.origin ?? ''}${path}`;
  return (
    <Group gap="xs" wrap="wrap" style={{ minWidth: 0 }}>
      <Code style={{ overflowWrap: 'anywhere', minWidth: 0, maxWidth: '100%' }} data-testid="webhook-url">
        {url}
      </Code>
      <CopyButton value={url}>
        {({ copied, copy }) => (
          <Button size="compact-xs" variant="subtle" leftSection={<IconCopy size={12} />} onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

/** One channel's provider account: its fields, its secrets redacted (type one to replace it), save and test. */
function ChannelEditor({ tenant, settings }: { tenant: string; settings: ChannelSettings }) {
  const { can } = useAuth();
  const readOnly = !can('channels:configure');
  const channel = settings.channel;
  const save = usePutChannelSettings(tenant, channel);
  const test = useTestChannel(tenant, channel);
  const [tested, setTested] = useState<ChannelTest | { ok: false; latency_ms: null; detail: string } | null>(null);
  const form = useForm<ChannelValues>({ mode: 'controlled', initialValues: toChannelValues(settings) });
  const name = CHANNEL_NAMES[channel];

  const submit = form.onSubmit((values) => {
    const body = toChannelBody(channel, values);
    save.mutate(body, {
      onSuccess: (saved) => {
        form.setValues(toChannelValues(saved));
        form.resetDirty(toChannelValues(saved));
        setTested(null); // a test of the old settings says nothing now
        notifications.show({ color: 'teal', message: `${name} settings saved. Test the connection to check them.` });
      },
      onError: (err) => {
        const errors: Record<string, string> = {};
        for (const [path, message] of Object.entries(fieldErrors(err))) {
          errors[(CHANNEL_SECRETS[channel] as string[]).includes(path) ? `secrets.${path}` : `fields.${path}`] = message;
        }
        form.setErrors(errors);
      },
    });
  });
  const runTest = () =>
    test.mutate(undefined, {
      onSuccess: (r) => setTested(r),
      onError: (err) => setTested({ ok: false, latency_ms: null, detail: errorMessage(err) }),
    });
  const invalid = save.error instanceof ApiError && save.error.status === 422 && save.error.fields.length > 0;

  return (
    <form onSubmit={submit} noValidate aria-label={`${name} settings`}>
      <Stack gap="md">
        <Group justify="space-between" align="flex-start" gap="xs">
          <div style={{ minWidth: 0, flex: '1 1 260px' }}>
            <Title order={2} size="h4">
              {name}
            </Title>
            <Text size="sm" c="dimmed">
              {BLURBS[channel]}
            </Text>
          </div>
          <Badge
            color={settings.configured ? 'teal' : 'gray'}
            variant={settings.configured ? 'light' : 'outline'}
            size="lg"
            data-testid={`configured-${channel}`}
          >
            {settings.configured ? `Configured · ${settings.provider}` : 'Not configured'}
          </Badge>
        </Group>
        {readOnly && (
          <Alert color="blue" variant="light" p="xs">
            You can read these settings. Only a tenant admin can change them.
          </Alert>
        )}
        <Paper withBorder p="md" radius="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            {CHANNEL_FIELDS[channel].map((spec) => (
              <Field key={spec.name} spec={spec} form={form} readOnly={readOnly} />
            ))}
          </SimpleGrid>
        </Paper>
        <Paper withBorder p="md" radius="md">
          <Text fw={600} size="sm" mb={4}>
            Secrets
          </Text>
          <Text size="xs" c="dimmed" mb="sm">
            Stored encrypted and never shown again: only their last characters. Leave a field empty to keep the stored secret; type a new
            one to replace it.
          </Text>
          {readOnly ? (
            <Table variant="vertical" withRowBorders={false} verticalSpacing={4} fz="sm" layout="fixed">
              <Table.Tbody>
                {CHANNEL_SECRETS[channel].map((s) => (
                  <Table.Tr key={s}>
                    <Table.Th w={200}>{SECRET_LABELS[s]}</Table.Th>
                    <Table.Td>
                      {redacted(settings.credentials[s]) ?? (
                        <Text span size="sm" c="dimmed">
                          not set
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : (
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              {CHANNEL_SECRETS[channel].map((s) => {
                const stored = redacted(settings.credentials[s]);
                return (
                  <PasswordInput
                    key={s}
                    label={SECRET_LABELS[s]}
                    description={stored ? `Stored: ${stored}` : 'Not set'}
                    placeholder={stored ? 'Leave empty to keep it' : 'Required to send'}
                    autoComplete="new-password"
                    data-testid={`secret-${s}`}
                    {...form.getInputProps(`secrets.${s}`)}
                  />
                );
              })}
            </SimpleGrid>
          )}
        </Paper>
        {settings.webhook_path && (
          <Paper withBorder p="md" radius="md">
            <Text fw={600} size="sm" mb={4}>
              Delivery receipts and replies
            </Text>
            <Text size="xs" c="dimmed" mb="xs">
              Give the provider this callback URL; it signs each call with the webhook secret.
            </Text>
            <WebhookPath path={settings.webhook_path} />
          </Paper>
        )}
        {tested && <TestResult outcome={tested} />}
        {invalid ? (
          <Alert color="red" variant="light" title="The settings were not saved" role="alert">
            <Text size="sm">Correct the fields marked in red and save again.</Text>
          </Alert>
        ) : (
          save.isError && <ErrorAlert error={save.error} title="The settings were not saved" />
        )}
        <Group justify="space-between" gap="xs">
          <Text size="xs" c="dimmed">
            {settings.updated_at
              ? `Saved ${formatDateTime(settings.updated_at)} by ${settings.updated_by ?? 'an unknown user'}`
              : 'Never saved'}
          </Text>
          {!readOnly && (
            <Group gap="xs">
              <Button
                variant="default"
                leftSection={<IconPlugConnected size={16} />}
                onClick={runTest}
                loading={test.isPending}
                disabled={!settings.configured || form.isDirty()}
                title={form.isDirty() ? 'Save first: the test uses the stored settings' : undefined}
                aria-label={`Test ${name}`}
              >
                Test connection
              </Button>
              <Button type="submit" loading={save.isPending}>
                Save
              </Button>
            </Group>
          )}
        </Group>
      </Stack>
    </form>
  );
}

function ChannelPanel({ tenant, channel }: { tenant: string; channel: ChannelName }) {
  const settings = useChannelSettings(tenant, channel);
  return (
    <QueryState query={settings} feature={`${CHANNEL_NAMES[channel]} settings`}>
      {(data) => <ChannelEditor key={`${data.updated_at}`} tenant={tenant} settings={data} />}
    </QueryState>
  );
}

function TenantChannels({ tenant }: { tenant: string }) {
  const [tab, setTab] = useState<string | null>('sms');
  return (
    <>
      <PageHeader
        title="Channels"
        description="The providers that carry SMS, WhatsApp, e-mail and voice calls for this tenant. Every change is audited; secrets are encrypted."
      />
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="md">
          {CHANNELS.map((c) => (
            <Tabs.Tab key={c} value={c}>
              {CHANNEL_NAMES[c]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {CHANNELS.map((c) => (
          <Tabs.Panel key={c} value={c}>
            <ChannelPanel tenant={tenant} channel={c} />
          </Tabs.Panel>
        ))}
      </Tabs>
    </>
  );
}

export default function ChannelsPage() {
  return <WithTenant>{(tenant) => <TenantChannels tenant={tenant} />}</WithTenant>;
}
