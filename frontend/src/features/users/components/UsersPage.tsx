import { Badge, Button, Group, Modal, PasswordInput, Select, SimpleGrid, Stack, Switch, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconWorld } from '@tabler/icons-react';
import { DataTable, type Column } from '@/components/DataTable';
import { ErrorAlert } from '@/components/ErrorAlert';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { EmptyState } from '@/components/StatusPanels';
import { useAuth } from '@/lib/auth';
import { errorMessage, fieldErrors } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { usePaging } from '@/lib/list-filters';
import { passwordProblem } from '@/lib/password';
import { useCreatePlatformUser } from '../api/create-platform-user';
import { useCreateUser, type UserCreate } from '../api/create-user';
import { useUsers, type User } from '../api/list-users';
import { useUpdateUser } from '../api/update-user';

const TENANT_ROLES = [
  { value: 'field_officer', label: 'Field officer — scores applications' },
  { value: 'risk_analyst', label: 'Risk analyst — bureaus, models, policy, monitoring' },
  { value: 'auditor', label: 'Auditor — read-only' },
  { value: 'tenant_admin', label: 'Tenant admin — everything in the tenant' },
];
const PLATFORM_ROLES = [
  { value: 'risk_analyst', label: 'Platform risk analyst — every tenant' },
  { value: 'platform_admin', label: 'Platform admin' },
];

function UserForm({
  roles,
  onSubmit,
  pending,
  error,
  onCancel,
}: {
  roles: { value: string; label: string }[];
  onSubmit: (v: { name: string; email: string; role: string; password: string }) => Promise<unknown>;
  pending: boolean;
  error: unknown;
  onCancel: () => void;
}) {
  const form = useForm({
    initialValues: { name: '', email: '', role: roles[0]!.value, password: '' },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter the person’s name'),
      email: (v) => (/^\S+@\S+\.\S+$/.test(v) ? null : 'Enter a valid e-mail'),
      role: (v) => (v ? null : 'Choose a role'),
      password: (v, values) => passwordProblem(v, values.email),
    },
  });
  const submit = form.onSubmit(async (v) => {
    try {
      await onSubmit({ ...v, name: v.name.trim(), email: v.email.trim() });
      form.reset();
    } catch (err) {
      const f = fieldErrors(err);
      form.setErrors({ name: f.name, email: f.email, role: f.role, password: f.password });
    }
  });
  return (
    <form onSubmit={submit} noValidate aria-label="Create user">
      <Stack gap="sm">
        {error !== null && <ErrorAlert error={error} title="Could not create the user" />}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label="Name" required {...form.getInputProps('name')} />
          <TextInput label="E-mail" type="email" required {...form.getInputProps('email')} />
        </SimpleGrid>
        <Select label="Role" data={roles} required allowDeselect={false} {...form.getInputProps('role')} />
        <PasswordInput
          label="Initial password"
          description="12+ characters with a letter and a digit or symbol"
          autoComplete="new-password"
          required
          {...form.getInputProps('password')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={pending}>
            Create user
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function TenantUsers({ tenant }: { tenant: string }) {
  const { paging, limit, offset } = usePaging();
  const users = useUsers(tenant, limit, offset);
  const update = useUpdateUser(tenant);
  const create = useCreateUser(tenant);
  const createPlatform = useCreatePlatformUser();
  const { can, me } = useAuth();
  const [opened, { open, close }] = useDisclosure(false);
  const [platformOpened, platform] = useDisclosure(false);

  const setActive = (userId: string, name: string, active: boolean) =>
    update.mutate(
      { userId, is_active: active },
      {
        onSuccess: () =>
          notifications.show({ color: active ? 'teal' : 'orange', message: `${name} is ${active ? 'active again' : 'deactivated'}` }),
        onError: (err) => notifications.show({ color: 'red', title: 'Could not change the user', message: errorMessage(err) }),
      },
    );
  const columns: Column<User>[] = [
    { header: 'Name', cell: (u) => u.name, td: { fw: 600 } },
    { header: 'E-mail', cell: (u) => u.email },
    { header: 'Role', cell: (u) => <Badge variant="light">{u.role.replace(/_/g, ' ')}</Badge> },
    { header: 'Last sign-in', cell: (u) => formatDateTime(u.last_login_at) },
    {
      header: 'Active',
      cell: (u) =>
        can('users:manage') && u.id !== me?.id ? (
          <Switch
            checked={u.is_active}
            onChange={(e) => setActive(u.id, u.name, e.currentTarget.checked)}
            aria-label={`${u.name} active`}
            disabled={update.isPending && update.variables?.userId === u.id}
          />
        ) : (
          <Badge color={u.is_active ? 'teal' : 'gray'} variant="light">
            {u.is_active ? 'active' : 'inactive'}
          </Badge>
        ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Users"
        description={`People who can sign in to ${tenant}. Deactivated users cannot sign in; their history stays.`}
        actions={
          <Can need="users:manage">
            <Group gap="xs">
              <Can need="platform_users:manage">
                <Button variant="default" leftSection={<IconWorld size={16} />} onClick={platform.open}>
                  New platform user
                </Button>
              </Can>
              <Button leftSection={<IconPlus size={16} />} onClick={open}>
                New user
              </Button>
            </Group>
          </Can>
        }
      />
      <DataTable
        query={users}
        feature="Users"
        empty={<EmptyState title="No users yet" />}
        label="Users"
        columns={columns}
        rowKey={(u) => u.id}
        minWidth={680}
        table={{ highlightOnHover: true }}
        paging={paging}
        count={(n) => `${n} users`}
      />
      <Modal opened={opened} onClose={close} title={`New user in ${tenant}`} size="lg">
        <UserForm
          roles={TENANT_ROLES}
          pending={create.isPending}
          error={create.isError ? create.error : null}
          onCancel={close}
          onSubmit={async (v) => {
            const u = await create.mutateAsync(v as UserCreate);
            notifications.show({ color: 'teal', message: `${u.name} can now sign in as ${u.role.replace(/_/g, ' ')}` });
            close();
          }}
        />
      </Modal>
      <Modal opened={platformOpened} onClose={platform.close} title="New platform user" size="lg">
        <UserForm
          roles={PLATFORM_ROLES}
          pending={createPlatform.isPending}
          error={createPlatform.isError ? createPlatform.error : null}
          onCancel={platform.close}
          onSubmit={async (v) => {
            const u = await createPlatform.mutateAsync(v as Parameters<typeof createPlatform.mutateAsync>[0]);
            notifications.show({ color: 'teal', message: `${u.name} can now sign in for every tenant` });
            platform.close();
          }}
        />
      </Modal>
    </>
  );
}

export default function UsersPage() {
  return <WithTenant>{(tenant) => <TenantUsers tenant={tenant} />}</WithTenant>;
}
