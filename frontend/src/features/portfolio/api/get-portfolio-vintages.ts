import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function getPortfolioVintages(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/portfolio/vintage', { params: { path: { tenant } } }));
}

export const getPortfolioVintagesQuery = (tenant: string) =>
  queryOptions({ queryKey: ['portfolio-vintages', tenant], queryFn: () => getPortfolioVintages(tenant) });

export function usePortfolioVintages(tenant: string) {
  return useQuery(getPortfolioVintagesQuery(tenant));
}
