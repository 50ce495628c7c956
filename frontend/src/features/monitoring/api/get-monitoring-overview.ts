import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function getMonitoringOverview(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/monitoring/overview', { params: { path: { tenant } } }));
}

export const getMonitoringOverviewQuery = (tenant: string) =>
  queryOptions({ queryKey: ['monitoring-overview', tenant], queryFn: () => getMonitoringOverview(tenant) });

export function useMonitoringOverview(tenant: string) {
  return useQuery(getMonitoringOverviewQuery(tenant));
}
