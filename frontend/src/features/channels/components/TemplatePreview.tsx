import { Alert, Badge, Group, Loader, Paper, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconAlertTriangle, IconEye } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { ApiError } from '@/lib/errors';
import { usePreview, type Preview, type PreviewRequest } from '../api/preview-template';

/** How long the preview waits after the last keystroke before asking the server. */
export const PREVIEW_DEBOUNCE_MS = 300;

/**
 * The server's rendering of `request`, asked for once typing pauses (PREVIEW_DEBOUNCE_MS): the last
 * preview stays on screen while the next one loads.
 */
export function useLivePreview(tenant: string, request: PreviewRequest | null) {
  const key = JSON.stringify(request);
  const [settled] = useDebouncedValue(key, PREVIEW_DEBOUNCE_MS);
  const body = useMemo(() => JSON.parse(settled) as PreviewRequest | null, [settled]);
  const query = usePreview(tenant, body);
  return { query, waiting: key !== settled || query.isFetching };
}

/** "2 SMS parts · Unicode (UCS-2)": what the SMS costs, and why a Hindi text costs more. */
export function segmentsLabel(preview: Pick<Preview, 'segments' | 'encoding'>): string | null {
  if (preview.segments == null) return null;
  const parts = `${preview.segments} SMS ${preview.segments === 1 ? 'part' : 'parts'}`;
  // "ucs2" or "UCS-2": however the server spells it
  const code = String(preview.encoding ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  const encoding = code === 'ucs2' ? 'Unicode (UCS-2)' : code === 'gsm7' ? 'GSM-7' : null;
  return encoding ? `${parts} · ${encoding}` : parts;
}

function Rendered({ preview, channel }: { preview: Preview; channel: string }) {
  const segments = segmentsLabel(preview);
  return (
    <Stack gap="xs">
      {preview.errors.length > 0 && (
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="This text cannot be sent as it is" role="alert">
          <Stack gap={2} data-testid="preview-errors">
            {preview.errors.map((e) => (
              <Text key={`${e.field}:${e.message}`} size="sm">
                <b>{(e.field ?? '').replace(/^body\./, '')}</b>: {e.message}
              </Text>
            ))}
          </Stack>
        </Alert>
      )}
      {channel === 'email' && preview.subject != null && (
        <Text size="sm" data-testid="preview-subject">
          <b>Subject:</b> {preview.subject}
        </Text>
      )}
      {(preview.text || preview.errors.length === 0) && (
        <Paper
          withBorder
          p="sm"
          radius="lg"
          bg="var(--mantine-color-gray-0)"
          data-testid="preview-text"
          style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: 'var(--mantine-font-size-sm)' }}
        >
          {preview.text}
        </Paper>
      )}
      {segments && (
        <Group gap="xs">
          <Badge variant="light" color={preview.segments! > 1 ? 'orange' : 'teal'} tt="none" data-testid="sms-segments">
            {segments}
          </Badge>
          {preview.segments! > 1 && (
            <Text size="xs" c="dimmed">
              Each part is charged as one SMS.
            </Text>
          )}
        </Group>
      )}
    </Stack>
  );
}

/**
 * Live preview of a template text: sample values where none are typed, numbers, ₹ and dates as the
 * language writes them, the SMS part count. `sampleFor` lists the variables one may give values for.
 */
export function TemplatePreview({
  tenant,
  request,
  sampleFor = [],
  note,
}: {
  tenant: string;
  /** what to render, without `values` (null: nothing to preview yet) */
  request: PreviewRequest | null;
  sampleFor?: readonly string[];
  note?: string;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const filled = Object.fromEntries(Object.entries(values).filter(([k, v]) => v.trim() && sampleFor.includes(k)));
  const withValues = request && Object.keys(filled).length ? { ...request, values: filled } : request;
  const { query, waiting } = useLivePreview(tenant, withValues);
  const missing = query.error instanceof ApiError && query.error.routeMissing;
  return (
    <Paper withBorder p="md" radius="md" data-testid="template-preview" aria-busy={waiting}>
      <Group justify="space-between" mb="xs">
        <Group gap={6}>
          <IconEye size={16} />
          <Text fw={600} size="sm">
            Preview
          </Text>
        </Group>
        {waiting && <Loader size="xs" aria-label="Updating the preview" />}
      </Group>
      {note && (
        <Text size="xs" c="dimmed" mb="xs">
          {note}
        </Text>
      )}
      {request === null ? (
        <Text size="sm" c="dimmed">
          Write the text to see it as the borrower will.
        </Text>
      ) : missing ? (
        <Text size="sm" c="dimmed">
          Live preview is not available on this server yet.
        </Text>
      ) : query.isError ? (
        <ErrorAlert error={query.error} title="Could not preview" />
      ) : query.data ? (
        <Rendered preview={query.data} channel={request.channel} />
      ) : (
        <Text size="sm" c="dimmed">
          Rendering…
        </Text>
      )}
      {sampleFor.length > 0 && request !== null && !missing && (
        <>
          <Text size="xs" c="dimmed" mt="md" mb={4}>
            Sample values (empty: the server&apos;s sample is used)
          </Text>
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs">
            {sampleFor.map((name) => (
              <TextInput
                key={name}
                size="xs"
                label={name}
                value={values[name] ?? ''}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  setValues((v) => ({ ...v, [name]: value }));
                }}
              />
            ))}
          </SimpleGrid>
        </>
      )}
    </Paper>
  );
}
