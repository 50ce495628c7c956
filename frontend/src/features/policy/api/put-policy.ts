import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type PolicyWrite = ApiBody<'/api/v1/tenants/{tenant}/policy', 'put'>;

/** Save the policy; every save is a new version, and knock-out rules that do not compile are refused. */
export async function putPolicy(tenant: string, body: PolicyWrite) {
  return unwrap(await api.PUT('/api/v1/tenants/{tenant}/policy', { params: { path: { tenant } }, body }));
}

export function usePutPolicy(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: PolicyWrite) => putPolicy(tenant, body),
    onSuccess: (data) => qc.setQueryData(['policy', tenant], data),
  });
}
