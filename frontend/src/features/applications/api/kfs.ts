// The application's Key Fact Statement: its key figures as JSON, and the PDF as a download.
import { queryOptions, useMutation, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { saveBlob } from '@/lib/download';
import { unwrap } from '@/lib/errors';

export type Kfs = ApiData<'/api/v1/tenants/{tenant}/applications/{application_id}/kfs', 'get'>;

export async function getKfs(tenant: string, applicationId: string): Promise<Kfs> {
  // the 200 has two media types (JSON and, with format=pdf, the PDF): this call asks for the JSON
  return unwrap(
    await api.GET('/api/v1/tenants/{tenant}/applications/{application_id}/kfs', {
      params: { path: { tenant, application_id: applicationId } },
    }),
  ) as Kfs;
}

export const kfsQuery = (tenant: string, applicationId: string) =>
  queryOptions({ queryKey: ['kfs', tenant, applicationId], queryFn: () => getKfs(tenant, applicationId) });

export function useKfs(tenant: string, applicationId: string, enabled = true) {
  return useQuery({ ...kfsQuery(tenant, applicationId), enabled });
}

/** The KFS as a PDF: an authenticated request through the typed client, read as a Blob. */
export async function fetchKfsPdf(tenant: string, applicationId: string): Promise<Blob> {
  return unwrap(
    await api.GET('/api/v1/tenants/{tenant}/applications/{application_id}/kfs', {
      params: { path: { tenant, application_id: applicationId }, query: { format: 'pdf' } },
      parseAs: 'blob',
    }),
  );
}

export function useDownloadKfs(tenant: string, applicationId: string) {
  return useMutation({
    mutationFn: async (reference: string) => saveBlob(await fetchKfsPdf(tenant, applicationId), `kfs-${reference}.pdf`),
  });
}
