import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

/** Open alerts (raised and not yet cleared), newest first. */
export async function listAlerts(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/monitoring/alerts', { params: { path: { tenant }, query: { status: 'open' } } }));
}

export const listAlertsQuery = (tenant: string) =>
  queryOptions({ queryKey: ['monitoring-alerts', tenant], queryFn: () => listAlerts(tenant) });

export function useAlerts(tenant: string) {
  return useQuery(listAlertsQuery(tenant));
}
