import { useMutation } from '@tanstack/react-query';
import { authorizedBlob } from '@/lib/session';
import { saveBlob } from '@/lib/download';

/** results.csv: one row per input row in input order (the operation is typed in the generated client). */
export async function downloadBatchResults(tenant: string, batchId: string) {
  const path = `/api/v1/tenants/${encodeURIComponent(tenant)}/batches/${encodeURIComponent(batchId)}/results.csv`;
  saveBlob(await authorizedBlob(path), `batch-${batchId}-results.csv`);
}

export function useDownloadBatchResults(tenant: string) {
  return useMutation({ mutationFn: (batchId: string) => downloadBatchResults(tenant, batchId) });
}
