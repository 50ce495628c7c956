import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ApiKey = ApiData<'/api/v1/tenants/{tenant}/api-keys', 'get'>['items'][number];

export async function listApiKeys(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/api-keys', { params: { path: { tenant } } }));
}

export const apiKeysQuery = (tenant: string) => queryOptions({ queryKey: ['api-keys', tenant], queryFn: () => listApiKeys(tenant) });

export function useApiKeys(tenant: string) {
  return useQuery(apiKeysQuery(tenant));
}
