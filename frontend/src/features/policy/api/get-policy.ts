import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type Policy = ApiData<'/api/v1/tenants/{tenant}/policy', 'get'>;

export async function getPolicy(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/policy', { params: { path: { tenant } } }));
}

export const policyQuery = (tenant: string) => queryOptions({ queryKey: ['policy', tenant], queryFn: () => getPolicy(tenant) });

export function usePolicy(tenant: string) {
  return useQuery(policyQuery(tenant));
}
