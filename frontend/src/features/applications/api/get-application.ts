import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function getApplication(tenant: string, id: string) {
  return unwrap(
    await api.GET('/api/v1/tenants/{tenant}/applications/{application_id}', { params: { path: { tenant, application_id: id } } }),
  );
}

export const applicationQuery = (tenant: string, id: string) =>
  queryOptions({ queryKey: ['applications', tenant, 'detail', id], queryFn: () => getApplication(tenant, id) });

export function useApplication(tenant: string, id: string) {
  return useQuery(applicationQuery(tenant, id));
}
