import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData, ApiQuery } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type LoanFilters = ApiQuery<'/api/v1/tenants/{tenant}/portfolio/loans', 'get'>;
export type LoanRow = ApiData<'/api/v1/tenants/{tenant}/portfolio/loans', 'get'>['items'][number];

export async function listLoans(tenant: string, query: LoanFilters) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/portfolio/loans', { params: { path: { tenant }, query } }));
}

export const loansQuery = (tenant: string, query: LoanFilters) =>
  queryOptions({
    queryKey: ['portfolio-loans', tenant, query],
    queryFn: () => listLoans(tenant, query),
    placeholderData: keepPreviousData,
  });

export function useLoans(tenant: string, query: LoanFilters) {
  return useQuery(loansQuery(tenant, query));
}
