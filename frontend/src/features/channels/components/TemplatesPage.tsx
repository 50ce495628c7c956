import { Badge, Button, Paper, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { DataTable, type Column } from '@/components/DataTable';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { EmptyState } from '@/components/StatusPanels';
import { formatDateTime } from '@/lib/format';
import { useListFilters } from '@/lib/list-filters';
import { useTemplates, type Template, type TemplateFilters } from '../api/list-templates';
import {
  CHANNEL_NAMES,
  CHANNEL_OPTIONS,
  LANGUAGE_NAMES,
  LANGUAGE_OPTIONS,
  PURPOSE_NAMES,
  PURPOSE_OPTIONS,
  TONE_NAMES,
  label,
  statusColor,
  type ChannelCode,
  type LanguageCode,
  type PurposeCode,
} from './channel-words';
import { TemplateDetail } from './TemplateDetail';
import { TemplateEditor } from './TemplateEditor';

type Status = NonNullable<TemplateFilters['status']>;
const STATUS_OPTIONS: { value: Status; label: string }[] = [
  { value: 'draft', label: 'Draft (awaiting approval)' },
  { value: 'approved', label: 'Approved (sent)' },
  { value: 'retired', label: 'Retired' },
];
const COLUMNS: Column<Template>[] = [
  {
    header: 'Name',
    cell: (t) => (
      <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
        {t.name}
      </Text>
    ),
    td: { miw: 190 },
  },
  { header: 'Version', cell: (t) => `v${t.version}` },
  {
    header: 'Status',
    cell: (t) => (
      <Badge color={statusColor(t.status)} variant="light" data-testid={`status-${t.name}-v${t.version}`}>
        {t.status}
      </Badge>
    ),
    td: { miw: 110 },
  },
  { header: 'Channel', cell: (t) => label(CHANNEL_NAMES, t.channel) },
  { header: 'Language', cell: (t) => label(LANGUAGE_NAMES, t.language).split(' · ')[0] },
  { header: 'Purpose', cell: (t) => label(PURPOSE_NAMES, t.purpose) },
  { header: 'Tone', cell: (t) => label(TONE_NAMES, t.tone) },
  {
    header: 'Written by',
    cell: (t) => (
      <Text size="sm" truncate maw={200} title={t.author ?? undefined}>
        {t.author ?? '—'}
      </Text>
    ),
  },
  { header: 'Updated', cell: (t) => formatDateTime(t.updated_at), td: { style: { whiteSpace: 'nowrap' } } },
];

function Templates({ tenant }: { tenant: string }) {
  const filters = useListFilters(
    {
      name: '',
      channel: null as ChannelCode | null,
      language: null as LanguageCode | null,
      purpose: null as PurposeCode | null,
      status: null as Status | null,
    },
    { debounce: ['name'] },
  );
  const { form, values } = filters;
  const query: TemplateFilters = {
    name: values.name.trim() || undefined,
    channel: values.channel ?? undefined,
    language: values.language ?? undefined,
    purpose: values.purpose ?? undefined,
    status: values.status ?? undefined,
    limit: filters.limit,
    offset: filters.offset,
  };
  const templates = useTemplates(tenant, query);
  const [selected, setSelected] = useState<Template | null>(null);
  const [editing, setEditing] = useState<{ template: Template | null } | null>(null);

  return (
    <>
      <PageHeader
        title="Templates"
        description="What borrowers receive, per channel, purpose and language. A version is sent only once someone other than its author approved it; an approved text never changes."
        actions={
          <Can need="templates:write">
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing({ template: null })}>
              New template
            </Button>
          </Can>
        }
      />
      <Stack gap="md">
        <Paper withBorder p="md" radius="md" component="form" aria-label="Filter templates" onSubmit={(e) => e.preventDefault()}>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }} spacing="sm">
            <TextInput label="Name" placeholder="emi_reminder" {...form.getInputProps('name')} />
            <Select label="Channel" placeholder="Any" clearable data={CHANNEL_OPTIONS} {...form.getInputProps('channel')} />
            <Select label="Language" placeholder="Any" clearable data={LANGUAGE_OPTIONS} {...form.getInputProps('language')} />
            <Select label="Purpose" placeholder="Any" clearable data={PURPOSE_OPTIONS} {...form.getInputProps('purpose')} />
            <Select label="Status" placeholder="Any" clearable data={STATUS_OPTIONS} {...form.getInputProps('status')} />
          </SimpleGrid>
        </Paper>
        <DataTable
          query={templates}
          feature="Templates"
          empty={
            <EmptyState title="No templates match">
              Write one with New template; it is sent once another approver has approved it.
            </EmptyState>
          }
          label="Templates"
          columns={COLUMNS}
          rowKey={(t) => t.id}
          rowProps={(t) => ({
            style: { cursor: 'pointer' },
            onClick: () => setSelected(t),
            tabIndex: 0,
            onKeyDown: (e) => {
              if (e.key === 'Enter') setSelected(t);
            },
            'aria-label': `${t.name} v${t.version}`,
          })}
          minWidth={860}
          table={{ highlightOnHover: true }}
          paging={filters.paging}
          count={(n) => (n === '1' ? '1 template version' : `${n} template versions`)}
        />
      </Stack>
      <TemplateDetail
        tenant={tenant}
        template={selected}
        onClose={() => setSelected(null)}
        onEdit={(t) => {
          setSelected(null);
          setEditing({ template: t });
        }}
      />
      {editing && (
        <TemplateEditor
          key={editing.template?.id ?? 'new'}
          tenant={tenant}
          template={editing.template}
          opened
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setSelected(saved);
          }}
        />
      )}
    </>
  );
}

export default function TemplatesPage() {
  return <WithTenant>{(tenant) => <Templates tenant={tenant} />}</WithTenant>;
}
