import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function getPortfolioNpa(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/portfolio/npa', { params: { path: { tenant } } }));
}

export const getPortfolioNpaQuery = (tenant: string) =>
  queryOptions({ queryKey: ['portfolio-npa', tenant], queryFn: () => getPortfolioNpa(tenant) });

export function usePortfolioNpa(tenant: string) {
  return useQuery(getPortfolioNpaQuery(tenant));
}
