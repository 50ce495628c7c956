import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function getPortfolioSummary(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/portfolio/summary', { params: { path: { tenant } } }));
}

export const getPortfolioSummaryQuery = (tenant: string) =>
  queryOptions({ queryKey: ['portfolio-summary', tenant], queryFn: () => getPortfolioSummary(tenant) });

export function usePortfolioSummary(tenant: string) {
  return useQuery(getPortfolioSummaryQuery(tenant));
}
