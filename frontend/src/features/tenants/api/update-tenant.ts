import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type TenantUpdate = ApiBody<'/api/v1/tenants/{tenant}', 'patch'>;

export async function updateTenant({ slug, ...body }: TenantUpdate & { slug: string }) {
  return unwrap(await api.PATCH('/api/v1/tenants/{tenant}', { params: { path: { tenant: slug } }, body }));
}

export function useUpdateTenant() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: updateTenant, onSuccess: () => qc.invalidateQueries({ queryKey: ['tenants'] }) });
}
