import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function revokeApiKey(tenant: string, keyId: string) {
  return unwrap(await api.DELETE('/api/v1/tenants/{tenant}/api-keys/{key_id}', { params: { path: { tenant, key_id: keyId } } }));
}

export function useRevokeApiKey(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (keyId: string) => revokeApiKey(tenant, keyId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['api-keys', tenant] }),
  });
}
