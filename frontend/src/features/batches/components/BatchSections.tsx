// The batch page's sections: the file, what the server read in it, and the batch's progress.
import { Alert, Badge, Button, Group, Paper, Progress, SimpleGrid, Stack, Text, Title, Tooltip } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { IconDownload, IconFileSpreadsheet, IconSend, IconUpload } from '@tabler/icons-react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { StatCard } from '@/components/StatCard';
import { formatNumber } from '@/lib/format';
import { useDownloadBatchResults } from '../api/download-batch-results';
import { FINISHED } from '../api/get-batch';
import type { BatchPreview } from '../api/preview-batch';
import { statusColor } from './BatchHistory';
import { PreviewTable } from './PreviewTable';
import type { BatchSubmission } from './use-batch-submission';

const ACCEPT = [
  'text/csv',
  'application/json',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.csv',
  '.json',
  '.xlsx',
];

export function BatchFile({ batch }: { batch: BatchSubmission }) {
  const { file, preview, rejected } = batch;
  return (
    <>
      <Dropzone
        onDrop={(files) => files[0] && batch.choose(files[0])}
        onReject={(r) => batch.reject(r[0]?.errors[0]?.message ?? 'This file cannot be used')}
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
    </>
  );
}

/** What the server read in the file: counts, ignored columns, rows with errors, the first rows; then Submit. */
export function BatchPreviewPanel({ batch, preview }: { batch: BatchSubmission; preview: BatchPreview }) {
  const rowErrors = new Set(preview.errors.map((e) => e.row)).size;
  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
        <StatCard label="Rows" value={formatNumber(preview.rows)} hint={preview.format.toUpperCase()} />
        <StatCard label="Valid rows" value={formatNumber(preview.valid_rows)} />
        <StatCard label="Rows with errors" value={formatNumber(rowErrors)} />
        <StatCard label="Unknown columns" value={formatNumber(preview.unknown_columns.length)} />
      </SimpleGrid>
      {preview.unknown_columns.length > 0 && (
        <Alert color="orange" variant="light" title="Columns that will be ignored">
          {preview.unknown_columns.join(', ')}
        </Alert>
      )}
      {rowErrors > 0 && (
        <Alert color="red" variant="light" title={`${rowErrors} row(s) have errors`}>
          <Stack gap={2}>
            {preview.errors.slice(0, 8).map((e, i) => (
              <Text size="sm" key={i}>
                Row {e.row}
                {e.field ? ` · ${e.field}` : ''}: {e.message}
              </Text>
            ))}
            {preview.errors.length > 8 && <Text size="sm">…and {preview.errors.length - 8} more.</Text>}
            <Text size="xs" c="dimmed" mt={4}>
              You can still submit: rows with errors are reported in the results instead of scored.
            </Text>
          </Stack>
        </Alert>
      )}
      <PreviewTable preview={preview} />
      <Group justify="flex-end">
        <Button leftSection={<IconSend size={16} />} onClick={batch.submit} loading={batch.create.isPending} disabled={!!batch.batchId}>
          Submit batch
        </Button>
      </Group>
    </Stack>
  );
}

/** The submitted batch: its status, progress and, once finished, its results. */
export function BatchProgress({ tenant, batchId, batch }: { tenant: string; batchId: string; batch: BatchSubmission }) {
  const download = useDownloadBatchResults(tenant);
  const status = batch.batch.data;
  const finished = status ? FINISHED.includes(status.status) : false;
  return (
    <Paper withBorder p="md" radius="md" data-testid="batch-status">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h5">
          Batch {batchId}
        </Title>
        {status && (
          <Badge color={statusColor(status.status)} variant="light">
            {status.status}
          </Badge>
        )}
      </Group>
      {batch.batch.isError ? (
        <ErrorAlert error={batch.batch.error} onRetry={() => void batch.batch.refetch()} />
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
              {formatNumber(status?.done ?? 0)} of {formatNumber(status?.rows ?? batch.create.data?.rows ?? 0)} rows done
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
  );
}
