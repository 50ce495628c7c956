import { Alert, Badge, Button, Code, CopyButton, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconKey, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { DataTable, type Column } from '@/components/DataTable';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { EmptyState } from '@/components/StatusPanels';
import { optionsOf } from '@/lib/enums';
import { errorMessage } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { useCreateApiKey, type ApiKeyCreate } from '../api/create-api-key';
import { useApiKeys, type ApiKey } from '../api/list-api-keys';
import { useRevokeApiKey } from '../api/revoke-api-key';

const ROLES = optionsOf<ApiKeyCreate['role']>({
  field_officer: 'Field officer (score applications)',
  risk_analyst: 'Risk analyst',
  auditor: 'Auditor (read-only)',
  tenant_admin: 'Tenant admin',
});

function TenantApiKeys({ tenant }: { tenant: string }) {
  const keys = useApiKeys(tenant);
  const create = useCreateApiKey(tenant);
  const revoke = useRevokeApiKey(tenant);
  const [opened, { open, close }] = useDisclosure(false);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const form = useForm<{ name: string; role: ApiKeyCreate['role'] }>({
    initialValues: { name: '', role: 'field_officer' },
    validate: { name: (v) => (v.trim() ? null : 'Name the key after the system that will use it') },
  });

  const submit = form.onSubmit((v) =>
    create.mutate(
      { name: v.name.trim(), role: v.role },
      {
        onSuccess: (k) => {
          setCreated({ name: k.name, key: k.key });
          form.reset();
          close();
        },
      },
    ),
  );

  const columns: Column<ApiKey>[] = [
    { header: 'Name', cell: (k) => k.name, td: { fw: 600 } },
    { header: 'Prefix', cell: (k) => <Code>{k.prefix}…</Code> },
    { header: 'Role', cell: (k) => k.role.replace(/_/g, ' ') },
    { header: 'Created', cell: (k) => formatDateTime(k.created_at) },
    { header: 'Last used', cell: (k) => formatDateTime(k.last_used_at) },
    {
      header: null,
      label: 'Actions',
      cell: (k) =>
        k.revoked_at ? (
          <Badge color="gray" variant="light">
            revoked
          </Badge>
        ) : (
          <Button
            size="xs"
            color="red"
            variant="light"
            loading={revoke.isPending && revoke.variables === k.id}
            aria-label={`Revoke ${k.name}`}
            onClick={() =>
              revoke.mutate(k.id, {
                onSuccess: () => notifications.show({ color: 'orange', message: `Key “${k.name}” revoked` }),
                onError: (err) => notifications.show({ color: 'red', message: errorMessage(err) }),
              })
            }
          >
            Revoke
          </Button>
        ),
    },
  ];

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let a loan-origination system call the API (header X-API-Key). A key is shown once; afterwards only its prefix."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={open}>
            New API key
          </Button>
        }
      />
      {created && (
        <Alert
          color="teal"
          variant="light"
          icon={<IconKey size={18} />}
          title={`Key “${created.name}” created — copy it now`}
          mb="md"
          withCloseButton
          onClose={() => setCreated(null)}
          closeButtonLabel="I have stored the key"
        >
          <Stack gap="xs">
            <Text size="sm">This is the only time the full key is shown. Store it in your secret manager.</Text>
            <Group gap="xs" wrap="nowrap">
              <Code block style={{ flex: 1, overflowX: 'auto' }} data-testid="new-api-key">
                {created.key}
              </Code>
              <CopyButton value={created.key}>
                {({ copied, copy }) => (
                  <Button size="xs" onClick={copy} variant={copied ? 'filled' : 'light'}>
                    {copied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Stack>
        </Alert>
      )}
      <DataTable
        query={keys}
        feature="API keys"
        empty={<EmptyState title="No API keys">Create one for each system that calls CreditDesk.</EmptyState>}
        label="API keys"
        columns={columns}
        rowKey={(k) => k.id}
        rowProps={(k) => ({ opacity: k.revoked_at ? 0.55 : 1 })}
        minWidth={640}
      />
      <Modal opened={opened} onClose={close} title="New API key">
        <form onSubmit={submit} noValidate aria-label="Create API key">
          <Stack gap="sm">
            {create.isError && <ErrorAlert error={create.error} title="Could not create the key" />}
            <TextInput label="Name" placeholder="e.g. LOS production" required {...form.getInputProps('name')} />
            <Select label="Acts as" data={ROLES} allowDeselect={false} {...form.getInputProps('role')} />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create key
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

export default function ApiKeysPage() {
  return <WithTenant>{(tenant) => <TenantApiKeys tenant={tenant} />}</WithTenant>;
}
