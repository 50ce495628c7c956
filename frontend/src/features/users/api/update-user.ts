import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type UserUpdate = ApiBody<'/api/v1/tenants/{tenant}/users/{user_id}', 'patch'>;

export async function updateUser(tenant: string, userId: string, body: UserUpdate) {
  return unwrap(await api.PATCH('/api/v1/tenants/{tenant}/users/{user_id}', { params: { path: { tenant, user_id: userId } }, body }));
}

export function useUpdateUser(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, ...body }: UserUpdate & { userId: string }) => updateUser(tenant, userId, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users', tenant] }),
  });
}
