import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';
import { FINISHED } from './get-batch';

export type BatchSummary = ApiData<'/api/v1/tenants/{tenant}/batches', 'get'>['items'][number];

/** Batch history, newest first (a field officer sees the batches they sent). */
export async function listBatches(tenant: string, limit = 20) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/batches', { params: { path: { tenant }, query: { limit } } }));
}

export const batchesQuery = (tenant: string) =>
  queryOptions({
    queryKey: ['batches', tenant],
    queryFn: () => listBatches(tenant),
    // Keep polling while any listed batch is still running.
    refetchInterval: (q) => (q.state.data?.items.some((b) => !FINISHED.includes(b.status)) ? 2000 : false),
  });

export function useBatches(tenant: string) {
  return useQuery(batchesQuery(tenant));
}
