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
import { optionsOf } from '@/lib/enums';
import { errorMessage, fieldErrors } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { usePaging } from '@/lib/list-filters';
import { passwordProblem } from '@/lib/password';
import { useCreatePlatformUser, type PlatformUserCreate } from '../api/create-platform-user';
import { useCreateUser, type UserCreate } from '../api/create-user';
import { useUsers, type User } from '../api/list-users';
import { useUpdateUser } from '../api/update-user';

const TENANT_ROLES = optionsOf<Exclude<UserCreate['role'], 'platform_admin'>>({
  field_officer: 'Field officer — scores applications',
  risk_analyst: 'Risk analyst — bureaus, models, policy, monitoring',
  auditor: 'Auditor — read-only',
  tenant_admin: 'Tenant admin — everything in the tenant',
});
interface UserValues<Role extends string> {
  name: string;
  email: string;
  role: Role;
  password: string;
}
const PLATFORM_ROLES = optionsOf<PlatformUserCreate['role']>({
  risk_analyst: 'Platform risk analyst — every tenant',
  platform_admin: 'Platform admin',
});

function UserForm<Role extends string>({
  roles,
  onSubmit,
  pending,
  error,
  onCancel,
}: {
  roles: { value: Role; label: string }[];
  onSubmit: (v: UserValues<Role>) => Promise<unknown>;
  pending: boolean;
  error: unknown;
  onCancel: () => void;
}) {
  const form = useForm<UserValues<Role>>({
    initialValues: { name: '', email: '', role: roles[0]!.value, password: '' },
    validate: (v) => ({
      name: v.name.trim() ? null : 'Enter the person’s name',
      email: /^\S+@\S+\.\S+$/.test(v.email) ? null : 'Enter a valid e-mail',
      role: v.role ? null : 'Choose a role',
      password: passwordProblem(v.password, v.email),
    }),
  });
  const submit = form.onSubmit(async (v: UserValues<Role>) => {
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
            const u = await create.mutateAsync(v);
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
            const u = await createPlatform.mutateAsync(v);
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
