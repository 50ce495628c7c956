import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ContactPolicy = ApiData<'/api/v1/tenants/{tenant}/contact-policy', 'get'>;

/** The tenant's contact policy with its version, the loosest policy it may save (`limits`) and who saved it last. */
export async function getContactPolicy(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/contact-policy', { params: { path: { tenant } } }));
}

export const contactPolicyQuery = (tenant: string) =>
  queryOptions({ queryKey: ['contact-policy', tenant], queryFn: () => getContactPolicy(tenant) });

export function useContactPolicy(tenant: string) {
  return useQuery(contactPolicyQuery(tenant));
}
