import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type User = ApiData<'/api/v1/tenants/{tenant}/users', 'get'>['items'][number];

export async function listUsers(tenant: string, limit: number, offset: number) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/users', { params: { path: { tenant }, query: { limit, offset } } }));
}

export const usersQuery = (tenant: string, limit: number, offset: number) =>
  queryOptions({
    queryKey: ['users', tenant, limit, offset],
    queryFn: () => listUsers(tenant, limit, offset),
    placeholderData: keepPreviousData,
  });

export function useUsers(tenant: string, limit = 25, offset = 0) {
  return useQuery(usersQuery(tenant, limit, offset));
}
