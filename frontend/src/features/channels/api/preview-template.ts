import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody, ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type PreviewRequest = ApiBody<'/api/v1/tenants/{tenant}/templates/preview', 'post'>;
export type Preview = ApiData<'/api/v1/tenants/{tenant}/templates/preview', 'post'>;

/** Render a text as the borrower would read it: sample values, each language's number and date formats, SMS parts. */
export async function previewTemplate(tenant: string, body: PreviewRequest) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/templates/preview', { params: { path: { tenant } }, body }));
}

/** The preview of `body` (null: nothing to preview yet); the last preview stays on screen while the next loads. */
export function usePreview(tenant: string, body: PreviewRequest | null) {
  return useQuery({
    queryKey: ['template-preview', tenant, body],
    queryFn: () => previewTemplate(tenant, body!),
    enabled: body !== null,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false,
  });
}
