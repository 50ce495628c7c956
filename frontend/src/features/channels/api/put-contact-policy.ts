import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ContactPolicyWrite = ApiBody<'/api/v1/tenants/{tenant}/contact-policy', 'put'>;

/**
 * Replace the contact policy. It may only tighten RBI's rules (422 names each field that loosens them);
 * `version` is the one read (409 when someone saved in between).
 */
export async function putContactPolicy(tenant: string, body: ContactPolicyWrite) {
  return unwrap(await api.PUT('/api/v1/tenants/{tenant}/contact-policy', { params: { path: { tenant } }, body }));
}

export function usePutContactPolicy(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ContactPolicyWrite) => putContactPolicy(tenant, body),
    onSuccess: (data) => qc.setQueryData(['contact-policy', tenant], data),
  });
}
