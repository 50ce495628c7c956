import { Alert, Badge, Button, Code, CopyButton, Group, Modal, Paper, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconKey, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { EmptyState } from '@/components/StatusPanels';
import { errorMessage } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { useCreateApiKey, type ApiKeyCreate } from '../api/create-api-key';
import { useApiKeys } from '../api/list-api-keys';
import { useRevokeApiKey } from '../api/revoke-api-key';

const ROLES = [
  { value: 'field_officer', label: 'Field officer (score applications)' },
  { value: 'risk_analyst', label: 'Risk analyst' },
  { value: 'auditor', label: 'Auditor (read-only)' },
  { value: 'tenant_admin', label: 'Tenant admin' },
];

function TenantApiKeys({ tenant }: { tenant: string }) {
  const keys = useApiKeys(tenant);
  const create = useCreateApiKey(tenant);
  const revoke = useRevokeApiKey(tenant);
  const [opened, { open, close }] = useDisclosure(false);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const form = useForm<{ name: string; role: string }>({
    initialValues: { name: '', role: 'field_officer' },
    validate: { name: (v) => (v.trim() ? null : 'Name the key after the system that will use it') },
  });

  const submit = form.onSubmit((v) =>
    create.mutate(
      { name: v.name.trim(), role: v.role as ApiKeyCreate['role'] },
      {
        onSuccess: (k) => {
          setCreated({ name: k.name, key: k.key });
          form.reset();
          close();
        },
      },
    ),
  );

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
      <QueryState
        query={keys}
        feature="API keys"
        isEmpty={(d) => d.items.length === 0}
        empty={<EmptyState title="No API keys">Create one for each system that calls CreditDesk.</EmptyState>}
      >
        {(data) => (
          <Paper withBorder radius="md">
            <Table.ScrollContainer minWidth={640}>
              <Table verticalSpacing="sm" aria-label="API keys">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Prefix</Table.Th>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Last used</Table.Th>
                    <Table.Th aria-label="Actions" />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((k) => (
                    <Table.Tr key={k.id} opacity={k.revoked_at ? 0.55 : 1}>
                      <Table.Td fw={600}>{k.name}</Table.Td>
                      <Table.Td>
                        <Code>{k.prefix}…</Code>
                      </Table.Td>
                      <Table.Td>{k.role.replace(/_/g, ' ')}</Table.Td>
                      <Table.Td>{formatDateTime(k.created_at)}</Table.Td>
                      <Table.Td>{formatDateTime(k.last_used_at)}</Table.Td>
                      <Table.Td>
                        {k.revoked_at ? (
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
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
        )}
      </QueryState>
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
