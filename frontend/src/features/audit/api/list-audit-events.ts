import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData, ApiQuery } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type AuditFilters = ApiQuery<'/api/v1/tenants/{tenant}/audit', 'get'>;
export type AuditEvent = ApiData<'/api/v1/tenants/{tenant}/audit', 'get'>['items'][number];
/** `null` = the platform chain (tenant creation, platform sign-ins). */
export type AuditChain = string | null;

export async function listAuditEvents(chain: AuditChain, query: AuditFilters) {
  if (chain === null) return unwrap(await api.GET('/api/v1/audit', { params: { query } }));
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/audit', { params: { path: { tenant: chain }, query } }));
}

export const auditEventsQuery = (chain: AuditChain, query: AuditFilters) =>
  queryOptions({
    queryKey: ['audit', chain ?? '@platform', query],
    queryFn: () => listAuditEvents(chain, query),
    placeholderData: keepPreviousData,
  });

export function useAuditEvents(chain: AuditChain, query: AuditFilters) {
  return useQuery(auditEventsQuery(chain, query));
}
