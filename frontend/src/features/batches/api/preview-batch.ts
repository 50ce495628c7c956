import { useMutation } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';
import { toFormData } from '@/lib/multipart';

export type BatchPreview = ApiData<'/api/v1/tenants/{tenant}/batches/preview', 'post'>;

/** Parse a CSV/JSON/XLSX file server-side: its first rows and every row's validation errors. */
export async function previewBatch(tenant: string, file: File) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/batches/preview', {
      params: { path: { tenant } },
      body: { file },
      bodySerializer: toFormData,
    }),
  );
}

export function usePreviewBatch(tenant: string) {
  return useMutation({ mutationFn: (file: File) => previewBatch(tenant, file) });
}
