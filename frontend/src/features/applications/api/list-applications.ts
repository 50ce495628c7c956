import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData, ApiQuery } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ApplicationFilters = ApiQuery<'/api/v1/tenants/{tenant}/applications', 'get'>;
export type ApplicationSummary = ApiData<'/api/v1/tenants/{tenant}/applications', 'get'>['items'][number];

export async function listApplications(tenant: string, query: ApplicationFilters) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/applications', { params: { path: { tenant }, query } }));
}

export const applicationsQuery = (tenant: string, query: ApplicationFilters) =>
  queryOptions({
    queryKey: ['applications', tenant, query],
    queryFn: () => listApplications(tenant, query),
    placeholderData: keepPreviousData,
  });

export function useApplications(tenant: string, query: ApplicationFilters) {
  return useQuery(applicationsQuery(tenant, query));
}
