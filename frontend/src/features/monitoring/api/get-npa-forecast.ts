import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function getNpaForecast(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/monitoring/npa-forecast', { params: { path: { tenant } } }));
}

export const getNpaForecastQuery = (tenant: string) =>
  queryOptions({ queryKey: ['monitoring-npa-forecast', tenant], queryFn: () => getNpaForecast(tenant) });

export function useNpaForecast(tenant: string) {
  return useQuery(getNpaForecastQuery(tenant));
}
