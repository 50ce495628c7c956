import { Alert, Badge, Button, Chip, Drawer, Group, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconCheck, IconEdit, IconLock } from '@tabler/icons-react';
import { useState } from 'react';
import { Can } from '@/components/Guards';
import { ErrorAlert } from '@/components/ErrorAlert';
import { useAuth } from '@/lib/auth';
import { ApiError } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { useApproveTemplate } from '../api/approve-template';
import { useTemplates, type Template } from '../api/list-templates';
import {
  CHANNEL_NAMES,
  LANGUAGE_NAMES,
  PURPOSE_NAMES,
  TONE_NAMES,
  label,
  statusColor,
  type ChannelCode,
  type LanguageCode,
  type PurposeCode,
} from './channel-words';
import { TemplatePreview } from './TemplatePreview';
import { languageVersions, toPreview, toValues } from './template-form';

export const SELF_APPROVAL = 'You wrote this version; another approver must approve it.';

/** Why an approval was refused, in words: the author may not approve their own text. */
export function approvalRefusal(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 403) return SELF_APPROVAL;
  if (error.status === 409) return `Not approved: ${error.detail}`;
  return null;
}

function Facts({ template }: { template: Template }) {
  const rows: [string, string][] = [
    ['Channel', label(CHANNEL_NAMES, template.channel)],
    ['Purpose', label(PURPOSE_NAMES, template.purpose)],
    ['Tone', label(TONE_NAMES, template.tone)],
    ...(template.dlt_template_id ? ([['DLT template id', template.dlt_template_id]] as [string, string][]) : []),
    ...(template.whatsapp_category ? ([['WhatsApp category', template.whatsapp_category]] as [string, string][]) : []),
    ['Written by', `${template.author ?? '—'} · ${formatDateTime(template.updated_at)}`],
    ['Approved by', template.approved_by ? `${template.approved_by} · ${formatDateTime(template.approved_at)}` : '—'],
  ];
  return (
    <Table variant="vertical" layout="fixed" withRowBorders={false} verticalSpacing={4} fz="sm">
      <Table.Tbody>
        {rows.map(([k, value]) => (
          <Table.Tr key={k}>
            <Table.Th w={{ base: 110, sm: 150 }}>{k}</Table.Th>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The template in another language: its own version there if it has one, else this text with that language's formatting. */
function LanguagePreview({ tenant, template }: { tenant: string; template: Template }) {
  const [language, setLanguage] = useState<string>(template.language);
  const siblings = useTemplates(tenant, { channel: template.channel as ChannelCode, purpose: template.purpose as PurposeCode, limit: 500 });
  const versions = languageVersions(template, siblings.data?.items ?? []);
  const shown = language === template.language ? template : versions.get(language);
  const values = toValues(shown ?? template);
  const request = toPreview({ ...values, language: language as LanguageCode });
  const note = shown
    ? shown.id === template.id
      ? undefined
      : `${shown.name} v${shown.version} (${shown.status})`
    : `No ${label(LANGUAGE_NAMES, language).split(' · ')[0]} version of this template yet: this text with its number, ₹ and date formats.`;
  return (
    <Stack gap="xs">
      <Text size="sm" fw={600}>
        Preview in
      </Text>
      <Chip.Group multiple={false} value={language} onChange={(value) => setLanguage(value)}>
        <Group gap={6} data-testid="language-switch">
          {Object.entries(LANGUAGE_NAMES).map(([code, name]) => (
            <Chip key={code} value={code} size="xs" variant={code === template.language || versions.has(code) ? 'filled' : 'outline'}>
              {name.split(' · ')[0]}
            </Chip>
          ))}
        </Group>
      </Chip.Group>
      <TemplatePreview tenant={tenant} request={request} note={note} sampleFor={values.variables.map((r) => r.name)} />
    </Stack>
  );
}

/** One version of a template: what it says, who wrote and approved it, its preview in each language; edit and approve. */
export function TemplateDetail({
  tenant,
  template,
  onClose,
  onEdit,
}: {
  tenant: string;
  template: Template | null;
  onClose: () => void;
  onEdit: (t: Template) => void;
}) {
  const { me } = useAuth();
  const approve = useApproveTemplate(tenant);
  const refusal = approvalRefusal(approve.error);
  const own = !!template && !!me && template.author === me.email;
  return (
    <Drawer
      opened={template !== null}
      onClose={() => {
        approve.reset();
        onClose();
      }}
      position="right"
      size="min(720px, 100%)"
      title={
        template && (
          <Group gap="xs">
            <Text fw={600}>
              {template.name} · v{template.version}
            </Text>
            <Badge color={statusColor(template.status)} variant="light" data-testid="template-status">
              {template.status}
            </Badge>
          </Group>
        )
      }
    >
      {template && (
        <Stack gap="md">
          {template.collections_content && template.channel === 'whatsapp' && (
            <Alert color="orange" variant="light" icon={<IconAlertTriangle size={18} />} p="xs">
              <Text size="sm">Collections content: WhatsApp carries it only if the contact policy allows collections on WhatsApp.</Text>
            </Alert>
          )}
          <Facts template={template} />
          <LanguagePreview key={template.id} tenant={tenant} template={template} />
          {refusal && (
            <Alert color="red" variant="light" icon={<IconLock size={18} />} role="alert" data-testid="approval-refused">
              <Text size="sm" fw={600}>
                {refusal}
              </Text>
            </Alert>
          )}
          {approve.isError && !refusal && <ErrorAlert error={approve.error} title="Not approved" />}
          <Group justify="flex-end" gap="xs">
            {template.status !== 'retired' && (
              <Can need="templates:write">
                <Button variant="default" leftSection={<IconEdit size={16} />} onClick={() => onEdit(template)}>
                  {template.status === 'approved' ? 'New version' : 'Edit draft'}
                </Button>
              </Can>
            )}
            {template.status === 'draft' && (
              <Can
                need="templates:approve"
                otherwise={
                  <Text size="sm" c="dimmed">
                    Waiting for an approver (a tenant admin).
                  </Text>
                }
              >
                <Stack gap={2} align="flex-end">
                  <Button
                    color="teal"
                    leftSection={<IconCheck size={16} />}
                    loading={approve.isPending}
                    onClick={() =>
                      approve.mutate(template.id, {
                        onSuccess: (t) => {
                          notifications.show({ color: 'teal', message: `${t.name} v${t.version} approved: it can be sent now` });
                          onClose();
                        },
                      })
                    }
                  >
                    Approve
                  </Button>
                  {own && !refusal && (
                    <Text size="xs" c="dimmed">
                      You wrote this version: another approver must approve it.
                    </Text>
                  )}
                </Stack>
              </Can>
            )}
          </Group>
        </Stack>
      )}
    </Drawer>
  );
}
