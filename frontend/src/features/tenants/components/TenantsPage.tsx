import { Badge, Button, Group, Modal, PasswordInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { DataTable, type Column } from '@/components/DataTable';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { EmptyState } from '@/components/StatusPanels';
import { errorMessage, fieldErrors } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { passwordProblem } from '@/lib/password';
import { useTenant } from '@/lib/tenant';
import { useCreateTenant } from '../api/create-tenant';
import { useTenants, type Tenant } from '../api/list-tenants';
import { useUpdateTenant } from '../api/update-tenant';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

function CreateTenantModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateTenant();
  const form = useForm({
    initialValues: {
      name: '',
      slug: '',
      timezone: 'Asia/Kolkata',
      dataRegion: 'default',
      adminName: '',
      adminEmail: '',
      adminPassword: '',
    },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter the lender’s name'),
      slug: (v) => (SLUG.test(v) ? null : 'Lowercase letters, digits and hyphens (1–40), not starting or ending with a hyphen'),
      adminName: (v) => (v.trim() ? null : 'Enter the admin’s name'),
      adminEmail: (v) => (/^\S+@\S+\.\S+$/.test(v) ? null : 'Enter a valid e-mail'),
      adminPassword: (v, values) => passwordProblem(v, values.adminEmail),
    },
  });

  const submit = form.onSubmit((v) => {
    create.mutate(
      {
        slug: v.slug,
        name: v.name.trim(),
        timezone: v.timezone,
        data_region: v.dataRegion.trim(),
        admin: { name: v.adminName.trim(), email: v.adminEmail.trim(), password: v.adminPassword },
      },
      {
        onSuccess: (t) => {
          notifications.show({ color: 'teal', title: 'Tenant created', message: `${t.name} (${t.slug}) is ready; its admin can sign in.` });
          form.reset();
          onClose();
        },
        onError: (err) => {
          const f = fieldErrors(err);
          form.setErrors({
            slug: f.slug,
            name: f.name,
            dataRegion: f.data_region,
            adminEmail: f['admin.email'],
            adminName: f['admin.name'],
            adminPassword: f['admin.password'],
          });
        },
      },
    );
  });

  const slugFromName = (name: string) =>
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40);

  return (
    <Modal opened={opened} onClose={onClose} title="New tenant" size="lg">
      <form onSubmit={submit} noValidate aria-label="Create tenant">
        <Stack gap="sm">
          {create.isError && <ErrorAlert error={create.error} title="Could not create the tenant" />}
          <Title order={3} size="h5">
            Lender
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Name"
              required
              {...form.getInputProps('name')}
              onChange={(e) => {
                const name = e.currentTarget.value;
                if (!form.isTouched('slug')) form.setFieldValue('slug', slugFromName(name));
                form.setFieldValue('name', name);
              }}
            />
            <TextInput label="Slug" description="Used in URLs and the API" required {...form.getInputProps('slug')} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Time zone" {...form.getInputProps('timezone')} />
            <TextInput
              label="Data region"
              description="Whose database holds the lender's data (docs/data-residency.md); fixed once created"
              {...form.getInputProps('dataRegion')}
            />
          </SimpleGrid>
          <Title order={3} size="h5" mt="xs">
            First tenant admin
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Admin name" required {...form.getInputProps('adminName')} />
            <TextInput label="Admin e-mail" type="email" required {...form.getInputProps('adminEmail')} />
          </SimpleGrid>
          <PasswordInput
            label="Admin password"
            description="12+ characters with a letter and a digit or symbol; not a common password"
            required
            autoComplete="new-password"
            {...form.getInputProps('adminPassword')}
          />
          <Group justify="flex-end" mt="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create tenant
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export default function TenantsPage() {
  const tenants = useTenants();
  const update = useUpdateTenant();
  const { setTenant } = useTenant();
  const [opened, { open, close }] = useDisclosure(false);

  const toggle = (slug: string, status: string) => {
    const next = status === 'active' ? 'suspended' : 'active';
    update.mutate(
      { slug, status: next },
      {
        onSuccess: (t) => notifications.show({ color: next === 'active' ? 'teal' : 'orange', message: `${t.name} is now ${t.status}` }),
        onError: (err) => notifications.show({ color: 'red', title: 'Could not change the status', message: errorMessage(err) }),
      },
    );
  };

  const columns: Column<Tenant>[] = [
    { header: 'Name', cell: (t) => t.name, td: { fw: 600 } },
    {
      header: 'Slug',
      cell: (t) => (
        <Text ff="monospace" size="sm">
          {t.slug}
        </Text>
      ),
    },
    {
      header: 'Status',
      cell: (t) => (
        <Badge color={t.status === 'active' ? 'teal' : 'orange'} variant="light">
          {t.status}
        </Badge>
      ),
    },
    { header: 'Time zone', cell: (t) => t.timezone },
    { header: 'Created', cell: (t) => formatDateTime(t.created_at) },
    {
      header: null,
      label: 'Actions',
      cell: (t) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <Button size="xs" variant="subtle" onClick={() => setTenant(t.slug)} aria-label={`Work on ${t.name}`}>
            Work on
          </Button>
          <Button
            size="xs"
            variant="light"
            color={t.status === 'active' ? 'orange' : 'teal'}
            loading={update.isPending && update.variables?.slug === t.slug}
            onClick={() => toggle(t.slug, t.status)}
            aria-label={`${t.status === 'active' ? 'Suspend' : 'Reactivate'} ${t.name}`}
          >
            {t.status === 'active' ? 'Suspend' : 'Reactivate'}
          </Button>
        </Group>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Tenants"
        description="Lenders on this CreditDesk platform. Suspending a tenant signs its users out and refuses their requests."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={open}>
            New tenant
          </Button>
        }
      />
      <DataTable
        query={tenants}
        feature="Tenants"
        empty={<EmptyState title="No tenants yet">Create the first lender with “New tenant”.</EmptyState>}
        label="Tenants"
        columns={columns}
        rowKey={(t) => t.id}
        minWidth={640}
        table={{ highlightOnHover: true }}
      />
      <CreateTenantModal opened={opened} onClose={close} />
    </>
  );
}
