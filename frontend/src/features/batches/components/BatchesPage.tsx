import { Button, Group, Stack } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { NotAvailable } from '@/components/StatusPanels';
import { ApiError } from '@/lib/errors';
import { useDownloadBatchTemplate } from '../api/download-batch-template';
import { BatchHistory } from './BatchHistory';
import { BatchFile, BatchPreviewPanel, BatchProgress } from './BatchSections';
import { useBatchSubmission } from './use-batch-submission';

function Batches({ tenant }: { tenant: string }) {
  const template = useDownloadBatchTemplate(tenant);
  const batch = useBatchSubmission(tenant);
  const { preview, create, batchId } = batch;
  const anyMissing = [preview.error, create.error].some((e) => e instanceof ApiError && e.routeMissing);

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
          <BatchFile batch={batch} />
          {preview.data && <BatchPreviewPanel batch={batch} preview={preview.data} />}
          {create.isError && <ErrorAlert error={create.error} title="The batch was not accepted" />}
          {batchId && <BatchProgress tenant={tenant} batchId={batchId} batch={batch} />}
          <BatchHistory tenant={tenant} />
        </Stack>
      )}
    </>
  );
}

export default function BatchesPage() {
  return <WithTenant>{(tenant) => <Batches tenant={tenant} />}</WithTenant>;
}
