import { Alert, Button, Group, Modal, NumberInput, PasswordInput, SimpleGrid, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconFlask } from '@tabler/icons-react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { fieldErrors } from '@/lib/errors';
import { useSandboxCredentials } from '../api/get-sandbox-credentials';
import type { BureauConfig } from '../api/list-bureau-configs';
import { usePutBureauConfig, type BureauConfigWrite } from '../api/put-bureau-config';
import { useForgetBureauTest } from '../api/test-bureau';
import { BUREAU_META, secretFields, secretLabel } from './bureau-meta';

interface Values {
  enabled: boolean;
  endpoint_url: string;
  member_id: string;
  timeout_ms: number | string;
  secrets: Record<string, string>;
}

/** Edit a bureau's settings. Secret inputs start empty: leave one empty to keep the stored value. */
export function EditBureauModal({
  tenant,
  config,
  opened,
  onClose,
}: {
  tenant: string;
  config: BureauConfig;
  opened: boolean;
  onClose: () => void;
}) {
  const fields = secretFields(config.bureau, config.credentials);
  const name = BUREAU_META[config.bureau]?.name ?? config.bureau;
  const save = usePutBureauConfig(tenant);
  const sandbox = useSandboxCredentials();
  const forgetTest = useForgetBureauTest(tenant, config.bureau);
  const stored = (f: string) => !!config.credentials?.[f];
  const form = useForm<Values>({
    initialValues: {
      // a first configuration is meant to be used: on unless the analyst turns it off
      enabled: config.configured ? config.enabled : true,
      endpoint_url: config.endpoint_url ?? '',
      member_id: config.member_id ?? '',
      timeout_ms: config.timeout_ms ?? 3000,
      secrets: Object.fromEntries(fields.map((f) => [f, ''])),
    },
    validate: {
      endpoint_url: (v) => {
        try {
          const u = new URL(v);
          return ['http:', 'https:'].includes(u.protocol) ? null : 'Use an http(s) URL';
        } catch {
          return 'Enter the bureau’s endpoint URL';
        }
      },
      member_id: (v) => (v.trim() ? null : 'Enter the member id the bureau issued'),
      timeout_ms: (v) => (Number(v) >= 100 && Number(v) <= 60000 ? null : 'Between 100 and 60000 ms'),
      secrets: Object.fromEntries(
        fields.map((f) => [f, (v: string) => (!v && !stored(f) ? `Enter the ${secretLabel(f).toLowerCase()}` : null)]),
      ),
    },
  });

  const fillSandbox = () =>
    sandbox.mutate(config.bureau, {
      onSuccess: (kit) => {
        form.setValues({
          endpoint_url: kit.endpoint_url,
          member_id: kit.member_id,
          secrets: { ...form.values.secrets, ...kit.credentials },
        });
      },
    });

  const submit = form.onSubmit((v) => {
    const credentials = Object.fromEntries(Object.entries(v.secrets).filter(([, value]) => value !== ''));
    const body: BureauConfigWrite = {
      enabled: v.enabled,
      endpoint_url: v.endpoint_url.trim(),
      member_id: v.member_id.trim(),
      timeout_ms: Number(v.timeout_ms),
      credentials,
    };
    save.mutate(
      { bureau: config.bureau, body },
      {
        onSuccess: (saved) => {
          if (Object.keys(credentials).length) forgetTest(); // a test of the old secrets says nothing now
          notifications.show({
            color: 'teal',
            message: saved.enabled
              ? `${name} saved and on. Test the connection to check it.`
              : `${name} saved but off: decisions do not pull its reports.`,
          });
          onClose();
        },
        onError: (err) => {
          const f = fieldErrors(err);
          form.setErrors({ endpoint_url: f.endpoint_url, member_id: f.member_id, timeout_ms: f.timeout_ms });
        },
      },
    );
  });

  return (
    <Modal opened={opened} onClose={onClose} title={`Configure ${name}`} size="lg">
      <form onSubmit={submit} noValidate aria-label={`Configure ${config.bureau}`}>
        <Stack gap="sm">
          {save.isError && <ErrorAlert error={save.error} title="Could not save" />}
          <Switch
            label="Enabled for scoring"
            description={
              form.values.enabled
                ? 'Decisions pull this bureau’s report once saved.'
                : 'Saved but not used: decisions do not pull this bureau.'
            }
            {...form.getInputProps('enabled', { type: 'checkbox' })}
          />
          <TextInput label="Endpoint URL" placeholder="https://…" required {...form.getInputProps('endpoint_url')} />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Member id" required {...form.getInputProps('member_id')} />
            <NumberInput label="Timeout (ms)" min={100} max={60000} step={500} {...form.getInputProps('timeout_ms')} />
          </SimpleGrid>
          <Text fw={600} size="sm" mt="xs">
            Secrets
          </Text>
          <Alert variant="light" color="gray" p="xs">
            <Text size="xs">
              Secrets are encrypted at rest and never shown again. Leave a field empty to keep the stored value; type a new one to replace
              it.
            </Text>
          </Alert>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {fields.map((f) => (
              <PasswordInput
                key={f}
                label={secretLabel(f)}
                placeholder={stored(f) ? `stored (${config.credentials?.[f]}) — type to replace` : 'required'}
                autoComplete="new-password"
                {...form.getInputProps(`secrets.${f}`)}
              />
            ))}
          </SimpleGrid>
          {sandbox.isSuccess && (
            <Alert variant="light" color="blue" p="xs" data-testid="sandbox-filled">
              <Text size="xs">Filled in the simulator’s sandbox credentials. Save to store them.</Text>
            </Alert>
          )}
          {sandbox.isError && <ErrorAlert error={sandbox.error} title="No sandbox kit" />}
          <Group justify="space-between" mt="sm">
            <Button variant="subtle" leftSection={<IconFlask size={16} />} onClick={fillSandbox} loading={sandbox.isPending} size="sm">
              Use simulator sandbox kit
            </Button>
            <Group gap="xs">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={save.isPending}>
                Save
              </Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
