import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type Tenant = ApiData<'/api/v1/tenants', 'get'>['items'][number];

export async function listTenants() {
  return unwrap(await api.GET('/api/v1/tenants'));
}

export const tenantsQuery = () => queryOptions({ queryKey: ['tenants'], queryFn: listTenants });

export function useTenants(enabled = true) {
  return useQuery({ ...tenantsQuery(), enabled });
}
