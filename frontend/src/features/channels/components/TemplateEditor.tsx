import {
  ActionIcon,
  Alert,
  Button,
  Drawer,
  Grid,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { ApiError, fieldErrors } from '@/lib/errors';
import type { Template } from '../api/list-templates';
import { useSaveTemplate } from '../api/save-template';
import { CHANNEL_OPTIONS, LANGUAGE_OPTIONS, PURPOSE_OPTIONS, TONE_OPTIONS, VARIABLE_KINDS, type VariableKind } from './channel-words';
import { TemplatePreview } from './TemplatePreview';
import {
  defaultMaxLength,
  emptyTemplate,
  errorPaths,
  missingVariables,
  toContent,
  toCreate,
  toPreview,
  toValues,
  variableRow,
  type TemplateValues,
} from './template-form';

const KIND_OPTIONS = Object.entries(VARIABLE_KINDS).map(([value, label]) => ({ value, label }));
const WHATSAPP_CATEGORIES = [
  { value: 'utility', label: 'Utility (reminders, alerts)' },
  { value: 'authentication', label: 'Authentication (OTPs)' },
  { value: 'marketing', label: 'Marketing (offers)' },
];
const NAME_RULE = /^[a-z0-9][a-z0-9_.-]*$/;

/**
 * Write a new template (a draft) or change one: a draft changes in place, an approved version makes the
 * next version, a draft again. Fields a channel does not use are hidden and sent as null; the preview
 * follows the text as it is typed.
 */
export function TemplateEditor({
  tenant,
  template,
  opened,
  onClose,
  onSaved,
}: {
  tenant: string;
  /** null: a new template */
  template: Template | null;
  opened: boolean;
  onClose: () => void;
  onSaved: (saved: Template) => void;
}) {
  const save = useSaveTemplate(tenant);
  const editing = template !== null;
  const form = useForm<TemplateValues>({
    mode: 'controlled',
    initialValues: template ? toValues(template) : emptyTemplate(),
    validate: {
      name: (v) => (editing || NAME_RULE.test(v.trim()) ? null : 'Lower-case letters, digits, _ . - (e.g. emi_reminder_sms_en)'),
      body: (v) => (v.trim() ? null : 'Write the text the borrower receives'),
      dlt_template_id: (v, values) =>
        values.channel !== 'sms' || /^[0-9]{19}$/.test(v.trim()) ? null : 'The 19-digit id the DLT registry gave this template',
      whatsapp_category: (v, values) => (values.channel !== 'whatsapp' || v ? null : 'Choose the category WhatsApp approved'),
      subject: (v, values) => (values.channel !== 'email' || v.trim() ? null : 'An e-mail needs a subject'),
    },
  });
  const v = form.values;
  const missing = missingVariables(v);
  // beside the form on a wide screen; on a phone right under the text, where the eye is while typing
  const wide = useMediaQuery('(min-width: 62em)');
  const preview = (
    <TemplatePreview tenant={tenant} request={toPreview(v)} sampleFor={v.variables.map((r) => r.name.trim()).filter(Boolean)} />
  );

  const submit = form.onSubmit((values) => {
    const input = template
      ? { kind: 'update' as const, templateId: template.id, body: toContent(values) }
      : { kind: 'create' as const, body: toCreate(values) };
    save.mutate(input, {
      onSuccess: (saved) => {
        notifications.show({
          color: 'teal',
          message:
            template && template.status === 'approved'
              ? `Version ${saved.version} of ${saved.name} saved as a draft: it needs approval before it is sent`
              : `${saved.name} v${saved.version} saved as a draft`,
        });
        onSaved(saved);
      },
      onError: (err) => form.setErrors(errorPaths(fieldErrors(err), values)),
    });
  });

  const invalid = save.error instanceof ApiError && save.error.status === 422 && save.error.fields.length > 0;
  const title = !template
    ? 'New template'
    : template.status === 'approved'
      ? `${template.name}: new version (v${template.version + 1})`
      : `${template.name}: edit draft v${template.version}`;

  return (
    <Drawer opened={opened} onClose={onClose} title={title} position="right" size="min(1100px, 100%)" padding="md">
      <form onSubmit={submit} noValidate aria-label={title}>
        <Grid gutter="md">
          <Grid.Col span={wide ? 7 : 12}>
            <Stack gap="sm">
              {template?.status === 'approved' && (
                <Alert color="blue" variant="light" p="xs">
                  <Text size="sm">
                    An approved text never changes. Saving makes version {template.version + 1}, a draft; version {template.version} is sent
                    until another approver approves the new one.
                  </Text>
                </Alert>
              )}
              <TextInput
                label="Name"
                description={editing ? undefined : 'Lower-case, one per channel and language, e.g. emi_reminder_sms_en'}
                required
                readOnly={editing}
                {...form.getInputProps('name')}
              />
              <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
                <Select
                  label="Channel"
                  data={CHANNEL_OPTIONS}
                  allowDeselect={false}
                  disabled={editing}
                  {...form.getInputProps('channel')}
                />
                <Select
                  label="Purpose"
                  data={PURPOSE_OPTIONS}
                  allowDeselect={false}
                  disabled={editing}
                  {...form.getInputProps('purpose')}
                />
                <Select
                  label="Language"
                  data={LANGUAGE_OPTIONS}
                  allowDeselect={false}
                  disabled={editing}
                  {...form.getInputProps('language')}
                />
                <Select label="Tone" data={TONE_OPTIONS} allowDeselect={false} {...form.getInputProps('tone')} />
              </SimpleGrid>
              {v.channel === 'sms' && (
                <TextInput
                  label="DLT template id"
                  description="SMS in India is sent only with the id the DLT registry gave this exact text"
                  required
                  inputMode="numeric"
                  maxLength={19}
                  {...form.getInputProps('dlt_template_id')}
                />
              )}
              {v.channel === 'whatsapp' && (
                <Select
                  label="WhatsApp category"
                  description="As WhatsApp approved the template; collections content is not a utility message"
                  required
                  data={WHATSAPP_CATEGORIES}
                  {...form.getInputProps('whatsapp_category')}
                />
              )}
              {v.channel === 'email' && <TextInput label="Subject" required maxLength={200} {...form.getInputProps('subject')} />}
              <Textarea
                label="Text"
                description="Use {{variable}} for what changes per borrower, e.g. {{amount}} due on {{due_date}}"
                required
                autosize
                minRows={4}
                maxRows={14}
                {...form.getInputProps('body')}
              />
              {!wide && preview}
              <Paper withBorder p="sm" radius="md">
                <Group justify="space-between" mb="xs">
                  <Text fw={600} size="sm">
                    Variables
                  </Text>
                  <Group gap="xs">
                    {missing.length > 0 && (
                      <Button
                        size="xs"
                        variant="light"
                        onClick={() => form.setFieldValue('variables', [...v.variables, ...missing])}
                        data-testid="add-missing-variables"
                      >
                        Declare {missing.map((r) => `{{${r.name}}}`).join(', ')}
                      </Button>
                    )}
                    <Button
                      size="xs"
                      variant="subtle"
                      leftSection={<IconPlus size={14} />}
                      onClick={() => form.insertListItem('variables', variableRow('', 'text', defaultMaxLength(v.channel, 'text')))}
                    >
                      Add
                    </Button>
                  </Group>
                </Group>
                {form.errors.variables && (
                  <Text size="sm" c="red" role="alert" mb="xs">
                    {form.errors.variables}
                  </Text>
                )}
                {v.variables.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    No variables: the text is the same for every borrower.
                  </Text>
                ) : (
                  <Stack gap="xs">
                    {v.variables.map((row, i) => (
                      <Group key={row.key} gap="xs" align="flex-start" wrap="nowrap" data-testid={`variable-${i}`}>
                        <TextInput size="xs" label="Name" style={{ flex: 2, minWidth: 0 }} {...form.getInputProps(`variables.${i}.name`)} />
                        <Select
                          size="xs"
                          label="Type"
                          data={KIND_OPTIONS}
                          allowDeselect={false}
                          style={{ flex: 2, minWidth: 0 }}
                          {...form.getInputProps(`variables.${i}.type`)}
                          onChange={(kind) => form.setFieldValue(`variables.${i}.type`, (kind ?? 'text') as VariableKind)}
                        />
                        <NumberInput
                          size="xs"
                          label="Max length"
                          min={1}
                          max={1000}
                          style={{ flex: 1, minWidth: 70 }}
                          {...form.getInputProps(`variables.${i}.max_length`)}
                        />
                        <Tooltip label="Remove variable">
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            mt={22}
                            aria-label={`Remove variable ${row.name || i + 1}`}
                            onClick={() => form.removeListItem('variables', i)}
                          >
                            <IconTrash size={14} />
                          </ActionIcon>
                        </Tooltip>
                      </Group>
                    ))}
                  </Stack>
                )}
              </Paper>
              {invalid ? (
                <Alert color="red" variant="light" title="The template was not saved" role="alert">
                  <Text size="sm">Correct the fields marked in red and save again.</Text>
                </Alert>
              ) : (
                save.isError && <ErrorAlert error={save.error} title="The template was not saved" />
              )}
              <Group justify="flex-end" gap="xs">
                <Button variant="default" onClick={onClose}>
                  Cancel
                </Button>
                <Button type="submit" loading={save.isPending}>
                  {template?.status === 'approved' ? 'Save as new version' : 'Save draft'}
                </Button>
              </Group>
            </Stack>
          </Grid.Col>
          {wide && (
            <Grid.Col span={5}>
              <div style={{ position: 'sticky', top: 0 }}>{preview}</div>
            </Grid.Col>
          )}
        </Grid>
      </form>
    </Drawer>
  );
}
