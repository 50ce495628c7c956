import { useMutation } from '@tanstack/react-query';
import { authorizedBlob } from '@/lib/session';
import { saveBlob } from '@/lib/download';

/** The CSV template: every column a batch file may have and one valid example row. */
export async function downloadBatchTemplate(tenant: string) {
  const path = `/api/v1/tenants/${encodeURIComponent(tenant)}/batches/template.csv`;
  saveBlob(await authorizedBlob(path), 'creditdesk-batch-template.csv');
}

export function useDownloadBatchTemplate(tenant: string) {
  return useMutation({ mutationFn: () => downloadBatchTemplate(tenant) });
}
