import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export const FINISHED = ['succeeded', 'failed', 'dead'];

export async function getBatch(tenant: string, batchId: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/batches/{batch_id}', { params: { path: { tenant, batch_id: batchId } } }));
}

export const batchQuery = (tenant: string, batchId: string) =>
  queryOptions({
    queryKey: ['batch', tenant, batchId],
    queryFn: () => getBatch(tenant, batchId),
    // Poll until the job is finished.
    refetchInterval: (q) => (q.state.data && FINISHED.includes(q.state.data.status) ? false : 1000),
  });

export function useBatch(tenant: string, batchId: string | null) {
  return useQuery({ ...batchQuery(tenant, batchId ?? ''), enabled: !!batchId });
}
