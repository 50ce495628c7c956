import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type Drift = ApiData<'/api/v1/tenants/{tenant}/monitoring/drift', 'get'>;

export async function getDrift(tenant: string, windowDays: number) {
  return unwrap(
    await api.GET('/api/v1/tenants/{tenant}/monitoring/drift', { params: { path: { tenant }, query: { window_days: windowDays } } }),
  );
}

export const driftQuery = (tenant: string, windowDays: number) =>
  queryOptions({ queryKey: ['monitoring-drift', tenant, windowDays], queryFn: () => getDrift(tenant, windowDays) });

export function useDrift(tenant: string, windowDays: number) {
  return useQuery(driftQuery(tenant, windowDays));
}
