import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function getMonitoringSettings(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/monitoring/settings', { params: { path: { tenant } } }));
}

export const monitoringSettingsQuery = (tenant: string) =>
  queryOptions({ queryKey: ['monitoring-settings', tenant], queryFn: () => getMonitoringSettings(tenant) });

export function useMonitoringSettings(tenant: string) {
  return useQuery(monitoringSettingsQuery(tenant));
}
