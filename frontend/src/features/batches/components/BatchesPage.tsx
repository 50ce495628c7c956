import { Alert, Badge, Button, Group, Paper, Progress, ScrollArea, SimpleGrid, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { IconDownload, IconFileSpreadsheet, IconSend, IconUpload } from '@tabler/icons-react';
import { useState } from 'react';
import { TableView, type Column } from '@/components/DataTable';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { StatCard } from '@/components/StatCard';
import { NotAvailable } from '@/components/StatusPanels';
import { ApiError } from '@/lib/errors';
import { formatDateTime, formatNumber } from '@/lib/format';
import { useQueryClient } from '@tanstack/react-query';
import { useCreateBatch } from '../api/create-batch';
import { useDownloadBatchResults } from '../api/download-batch-results';
import { useDownloadBatchTemplate } from '../api/download-batch-template';
import { FINISHED, useBatch } from '../api/get-batch';
import { useBatches, type BatchSummary } from '../api/list-batches';
import { usePreviewBatch, type BatchPreview } from '../api/preview-batch';

const ACCEPT = [
  'text/csv',
  'application/json',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.csv',
  '.json',
  '.xlsx',
];

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The first rows as parsed, with every row that has errors highlighted and its problems listed. */
export function PreviewTable({ preview }: { preview: BatchPreview }) {
  const errorsByRow = new Map<number, string[]>();
  for (const e of preview.errors) {
    const list = errorsByRow.get(e.row) ?? [];
    list.push(e.field ? `${e.field}: ${e.message}` : e.message);
    errorsByRow.set(e.row, list);
  }
  const columns = preview.columns.length
    ? preview.columns
    : [...new Set(preview.preview.flatMap((r) => Object.keys(r)))].filter((c) => c !== 'row');
  return (
    <Paper withBorder radius="md">
      <ScrollArea type="auto" offsetScrollbars>
        <Table verticalSpacing={6} fz="xs" aria-label="Batch preview" data-testid="batch-preview">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Row</Table.Th>
              <Table.Th>Problems</Table.Th>
              {columns.map((c) => (
                <Table.Th key={c} style={{ whiteSpace: 'nowrap' }}>
                  {c}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {preview.preview.map((r, i) => {
              const row = typeof r.row === 'number' ? r.row : i + 1;
              const errs = errorsByRow.get(row);
              return (
                <Table.Tr key={row} bg={errs ? 'var(--mantine-color-red-light)' : undefined} data-error={errs ? 'true' : undefined}>
                  <Table.Td fw={600}>{row}</Table.Td>
                  <Table.Td miw={200}>
                    {errs ? (
                      <Text size="xs" c="red.8" fw={500}>
                        {errs.join('; ')}
                      </Text>
                    ) : (
                      <Badge size="xs" color="teal" variant="light">
                        ok
                      </Badge>
                    )}
                  </Table.Td>
                  {columns.map((c) => (
                    <Table.Td key={c} style={{ whiteSpace: 'nowrap' }}>
                      {cell(r[c])}
                    </Table.Td>
                  ))}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </Paper>
  );
}

function statusColor(status: string): string {
  if (status === 'succeeded') return 'teal';
  return FINISHED.includes(status) ? 'red' : 'blue';
}

/** Earlier batches: reopen their results after leaving the page. */
function BatchHistory({ tenant }: { tenant: string }) {
  const batches = useBatches(tenant);
  const download = useDownloadBatchResults(tenant);
  if (batches.isError) return <ErrorAlert error={batches.error} onRetry={() => void batches.refetch()} />;
  const items = batches.data?.items ?? [];
  const columns: Column<BatchSummary>[] = [
    { header: 'File', cell: (b) => b.filename },
    { header: 'Submitted', cell: (b) => formatDateTime(b.created_at) },
    { header: 'Rows', cell: (b) => formatNumber(b.rows), th: { ta: 'right' }, td: { ta: 'right' } },
    {
      header: 'Done / failed',
      cell: (b) => `${formatNumber(b.done)} / ${formatNumber(b.failed)}`,
      th: { ta: 'right' },
      td: { ta: 'right' },
    },
    {
      header: 'Status',
      cell: (b) => (
        <Badge color={statusColor(b.status)} variant="light">
          {b.status}
        </Badge>
      ),
    },
    {
      header: null,
      label: 'Results',
      cell: (b) => (
        <Button
          size="compact-sm"
          variant="subtle"
          leftSection={<IconDownload size={14} />}
          disabled={!FINISHED.includes(b.status)}
          onClick={() => download.mutate(b.batch_id)}
          aria-label={`Download the results of ${b.filename}`}
        >
          results.csv
        </Button>
      ),
    },
  ];
  return (
    <Paper withBorder p="md" radius="md" data-testid="batch-history">
      <Title order={2} size="h5" mb="xs">
        Recent batches
      </Title>
      {batches.isPending ? (
        <Text size="sm" c="dimmed" role="status">
          Loading batches…
        </Text>
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No batches yet: the files you submit are listed here with their results.
        </Text>
      ) : (
        <TableView
          columns={columns}
          rows={items}
          rowKey={(b) => b.batch_id}
          minWidth={560}
          table={{ striped: true, verticalSpacing: 'xs' }}
          framed={false}
        />
      )}
      {download.isError && <ErrorAlert error={download.error} title="Download failed" />}
    </Paper>
  );
}

function Batches({ tenant }: { tenant: string }) {
  const queryClient = useQueryClient();
  const template = useDownloadBatchTemplate(tenant);
  const [file, setFile] = useState<File | null>(null);
  const [batchId, setBatchId] = useState<string | null>(null);
  const preview = usePreviewBatch(tenant);
  const create = useCreateBatch(tenant);
  const batch = useBatch(tenant, batchId);
  const download = useDownloadBatchResults(tenant);
  const [rejected, setRejected] = useState<string | null>(null);

  const onFile = (f: File) => {
    setFile(f);
    setBatchId(null);
    create.reset();
    setRejected(null);
    preview.mutate(f);
  };

  const anyMissing = [preview.error, create.error].some((e) => e instanceof ApiError && e.routeMissing);
  const status = batch.data;
  const finished = status ? FINISHED.includes(status.status) : false;
  const rowErrors = preview.data ? new Set(preview.data.errors.map((e) => e.row)).size : 0;

  return (
    <>
      <PageHeader
        title="Batch scoring"
        description="Score a file of applications: CSV or XLSX (one row per application; loan_amount, bureau_score, alt_… columns) or a JSON list of API bodies."
      />
      <Group mb="sm">
        <Button variant="light" leftSection={<IconDownload size={16} />} loading={template.isPending} onClick={() => template.mutate()}>
          Download CSV template
        </Button>
        {template.isError && <ErrorAlert error={template.error} title="Download failed" />}
      </Group>
      {anyMissing ? (
        <NotAvailable feature="Batch scoring" />
      ) : (
        <Stack gap="md">
          <Dropzone
            onDrop={(files) => files[0] && onFile(files[0])}
            onReject={(r) => setRejected(r[0]?.errors[0]?.message ?? 'This file cannot be used')}
            accept={ACCEPT}
            maxFiles={1}
            multiple={false}
            maxSize={50 * 1024 * 1024}
            aria-label="Upload a batch file"
            data-testid="batch-dropzone"
          >
            <Group justify="center" gap="md" mih={110} style={{ pointerEvents: 'none' }}>
              <Dropzone.Accept>
                <IconUpload size={36} />
              </Dropzone.Accept>
              <Dropzone.Idle>
                <IconFileSpreadsheet size={36} />
              </Dropzone.Idle>
              <div>
                <Text fw={600}>
                  {file ? `${file.name} — drop another file to replace it` : 'Drop a CSV, JSON or XLSX file here, or click to choose'}
                </Text>
                <Text size="sm" c="dimmed">
                  Rows are numbered from 1 (the first data row). Unknown columns are reported.
                </Text>
              </div>
            </Group>
          </Dropzone>
          {rejected && (
            <Alert color="red" variant="light" role="alert">
              {rejected}
            </Alert>
          )}
          {preview.isPending && (
            <Text size="sm" c="dimmed" role="status">
              Reading {file?.name}…
            </Text>
          )}
          {preview.isError && <ErrorAlert error={preview.error} title="The file could not be read" />}
          {preview.data && (
            <Stack gap="sm">
              <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
                <StatCard label="Rows" value={formatNumber(preview.data.rows)} hint={preview.data.format.toUpperCase()} />
                <StatCard label="Valid rows" value={formatNumber(preview.data.valid_rows)} />
                <StatCard label="Rows with errors" value={formatNumber(rowErrors)} />
                <StatCard label="Unknown columns" value={formatNumber(preview.data.unknown_columns.length)} />
              </SimpleGrid>
              {preview.data.unknown_columns.length > 0 && (
                <Alert color="orange" variant="light" title="Columns that will be ignored">
                  {preview.data.unknown_columns.join(', ')}
                </Alert>
              )}
              {rowErrors > 0 && (
                <Alert color="red" variant="light" title={`${rowErrors} row(s) have errors`}>
                  <Stack gap={2}>
                    {preview.data.errors.slice(0, 8).map((e, i) => (
                      <Text size="sm" key={i}>
                        Row {e.row}
                        {e.field ? ` · ${e.field}` : ''}: {e.message}
                      </Text>
                    ))}
                    {preview.data.errors.length > 8 && <Text size="sm">…and {preview.data.errors.length - 8} more.</Text>}
                    <Text size="xs" c="dimmed" mt={4}>
                      You can still submit: rows with errors are reported in the results instead of scored.
                    </Text>
                  </Stack>
                </Alert>
              )}
              <PreviewTable preview={preview.data} />
              <Group justify="flex-end">
                <Button
                  leftSection={<IconSend size={16} />}
                  onClick={() =>
                    file &&
                    create.mutate(file, {
                      onSuccess: (b) => {
                        setBatchId(b.batch_id);
                        void queryClient.invalidateQueries({ queryKey: ['batches', tenant] });
                      },
                    })
                  }
                  loading={create.isPending}
                  disabled={!!batchId}
                >
                  Submit batch
                </Button>
              </Group>
            </Stack>
          )}
          {create.isError && <ErrorAlert error={create.error} title="The batch was not accepted" />}
          {batchId && (
            <Paper withBorder p="md" radius="md" data-testid="batch-status">
              <Group justify="space-between" mb="xs">
                <Title order={2} size="h5">
                  Batch {batchId}
                </Title>
                {status && (
                  <Badge color={status.status === 'succeeded' ? 'teal' : finished ? 'red' : 'blue'} variant="light">
                    {status.status}
                  </Badge>
                )}
              </Group>
              {batch.isError ? (
                <ErrorAlert error={batch.error} onRetry={() => void batch.refetch()} />
              ) : (
                <>
                  <Progress
                    value={Math.round((status?.progress ?? 0) * 100)}
                    animated={!finished}
                    size="lg"
                    aria-label="Batch progress"
                    color={status?.status === 'failed' || status?.status === 'dead' ? 'red' : 'blue'}
                  />
                  <Group justify="space-between" mt="xs">
                    <Text size="sm">
                      {formatNumber(status?.done ?? 0)} of {formatNumber(status?.rows ?? create.data?.rows ?? 0)} rows done
                      {status?.failed ? ` · ${formatNumber(status.failed)} failed` : ''}
                    </Text>
                    <Tooltip label="Available when the batch has finished" disabled={finished}>
                      <Button
                        leftSection={<IconDownload size={16} />}
                        disabled={!finished}
                        loading={download.isPending}
                        onClick={() => download.mutate(batchId)}
                      >
                        Download results.csv
                      </Button>
                    </Tooltip>
                  </Group>
                  {download.isError && <ErrorAlert error={download.error} title="Download failed" />}
                </>
              )}
            </Paper>
          )}
          <BatchHistory tenant={tenant} />
        </Stack>
      )}
    </>
  );
}

export default function BatchesPage() {
  return <WithTenant>{(tenant) => <Batches tenant={tenant} />}</WithTenant>;
}
