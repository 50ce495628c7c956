import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ApiKeyCreate = ApiBody<'/api/v1/tenants/{tenant}/api-keys', 'post'>;

/** Create a key; the response carries the full key exactly once. */
export async function createApiKey(tenant: string, body: ApiKeyCreate) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/api-keys', { params: { path: { tenant } }, body }));
}

export function useCreateApiKey(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiKeyCreate) => createApiKey(tenant, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['api-keys', tenant] }),
  });
}
