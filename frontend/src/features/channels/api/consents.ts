import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody, ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type Consents = ApiData<'/api/v1/tenants/{tenant}/borrowers/{customer_id}/consents', 'get'>;
export type ConsentCreate = ApiBody<'/api/v1/tenants/{tenant}/borrowers/{customer_id}/consents', 'post'>;
export type OptOut = ApiBody<'/api/v1/tenants/{tenant}/borrowers/{customer_id}/opt-out', 'post'>;
export type OptIn = ApiBody<'/api/v1/tenants/{tenant}/borrowers/{customer_id}/opt-in', 'post'>;

/** A borrower's consents and opt-outs as they stand, and the ledger (newest first). */
export async function getConsents(tenant: string, customerId: string) {
  return unwrap(
    await api.GET('/api/v1/tenants/{tenant}/borrowers/{customer_id}/consents', { params: { path: { tenant, customer_id: customerId } } }),
  );
}

export const consentsQuery = (tenant: string, customerId: string) =>
  queryOptions({ queryKey: ['consents', tenant, customerId], queryFn: () => getConsents(tenant, customerId) });

export function useConsents(tenant: string, customerId: string) {
  return useQuery(consentsQuery(tenant, customerId));
}

export type LedgerEntry = { kind: 'consent'; body: ConsentCreate } | { kind: 'opt-out'; body: OptOut } | { kind: 'opt-in'; body: OptIn };

/** Append to the ledger: a consent (granted or withdrawn), an opt-out or an opt-in; answers the new standing. */
export async function recordLedgerEntry(tenant: string, customerId: string, entry: LedgerEntry) {
  const path = { tenant, customer_id: customerId };
  switch (entry.kind) {
    case 'consent':
      return unwrap(await api.POST('/api/v1/tenants/{tenant}/borrowers/{customer_id}/consents', { params: { path }, body: entry.body }));
    case 'opt-out':
      return unwrap(await api.POST('/api/v1/tenants/{tenant}/borrowers/{customer_id}/opt-out', { params: { path }, body: entry.body }));
    case 'opt-in':
      return unwrap(await api.POST('/api/v1/tenants/{tenant}/borrowers/{customer_id}/opt-in', { params: { path }, body: entry.body }));
  }
}

export function useRecordLedgerEntry(tenant: string, customerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (entry: LedgerEntry) => recordLedgerEntry(tenant, customerId, entry),
    onSuccess: (data) => qc.setQueryData(['consents', tenant, customerId], data),
  });
}
