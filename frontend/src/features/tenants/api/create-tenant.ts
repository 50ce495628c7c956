import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type TenantCreate = ApiBody<'/api/v1/tenants', 'post'>;

export async function createTenant(body: TenantCreate) {
  return unwrap(await api.POST('/api/v1/tenants', { body }));
}

export function useCreateTenant() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: createTenant, onSuccess: () => qc.invalidateQueries({ queryKey: ['tenants'] }) });
}
