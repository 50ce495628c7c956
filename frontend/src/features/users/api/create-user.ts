import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type UserCreate = ApiBody<'/api/v1/tenants/{tenant}/users', 'post'>;

export async function createUser(tenant: string, body: UserCreate) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/users', { params: { path: { tenant } }, body }));
}

export function useCreateUser(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: UserCreate) => createUser(tenant, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users', tenant] }),
  });
}
