import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';
import type { AuditChain } from './list-audit-events';

export async function verifyAuditChain(chain: AuditChain) {
  if (chain === null) return unwrap(await api.GET('/api/v1/audit/verify'));
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/audit/verify', { params: { path: { tenant: chain } } }));
}

export const auditVerifyQuery = (chain: AuditChain) =>
  queryOptions({ queryKey: ['audit-verify', chain ?? '@platform'], queryFn: () => verifyAuditChain(chain), staleTime: 0 });

export function useAuditVerify(chain: AuditChain) {
  return useQuery(auditVerifyQuery(chain));
}
