import { Badge, Button, Paper, Text, Title } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { TableView, type Column } from '@/components/DataTable';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatDateTime, formatNumber } from '@/lib/format';
import { useDownloadBatchResults } from '../api/download-batch-results';
import { FINISHED } from '../api/get-batch';
import { useBatches, type BatchSummary } from '../api/list-batches';

export function statusColor(status: string): string {
  if (status === 'succeeded') return 'teal';
  return FINISHED.includes(status) ? 'red' : 'blue';
}

/** Earlier batches: reopen their results after leaving the page. */
export function BatchHistory({ tenant }: { tenant: string }) {
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
