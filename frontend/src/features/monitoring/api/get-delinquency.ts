import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function getDelinquency(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/monitoring/delinquency', { params: { path: { tenant } } }));
}

export const getDelinquencyQuery = (tenant: string) =>
  queryOptions({ queryKey: ['monitoring-delinquency', tenant], queryFn: () => getDelinquency(tenant) });

export function useDelinquency(tenant: string) {
  return useQuery(getDelinquencyQuery(tenant));
}
