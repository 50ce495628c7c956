import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type BureauConfigList = ApiData<'/api/v1/tenants/{tenant}/bureaus', 'get'>;
export type BureauConfig = BureauConfigList['items'][number];

export async function listBureauConfigs(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/bureaus', { params: { path: { tenant } } }));
}

export const bureauConfigsQuery = (tenant: string) =>
  queryOptions({ queryKey: ['bureaus', tenant], queryFn: () => listBureauConfigs(tenant) });

export function useBureauConfigs(tenant: string) {
  return useQuery(bureauConfigsQuery(tenant));
}
