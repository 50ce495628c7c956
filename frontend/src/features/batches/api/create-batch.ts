import { useMutation } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';
import { toFormData } from '@/lib/multipart';

/** Submit a batch file for scoring; the answer (202) names the batch to poll. */
export async function createBatch(tenant: string, file: File) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/batches', {
      params: { path: { tenant } },
      body: { file },
      bodySerializer: toFormData,
    }),
  );
}

export function useCreateBatch(tenant: string) {
  return useMutation({ mutationFn: (file: File) => createBatch(tenant, file) });
}
