import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type Promotion = ApiBody<'/api/v1/tenants/{tenant}/models/{model_id}/promote', 'post'>;

export async function promoteModel(tenant: string, id: string, body: Promotion) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/models/{model_id}/promote', { params: { path: { tenant, model_id: id } }, body }));
}

export function usePromoteModel(tenant: string, id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Promotion) => promoteModel(tenant, id, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['models', tenant] }),
  });
}
