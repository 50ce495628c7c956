import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ApplicationCreate = ApiBody<'/api/v1/tenants/{tenant}/applications', 'post'>;

/** Score one application. The same Idempotency-Key with the same body replays the stored decision. */
export async function createApplication(tenant: string, body: ApplicationCreate, idempotencyKey: string) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/applications', {
      params: { path: { tenant } },
      body,
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
  );
}

export function useCreateApplication(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: ApplicationCreate; idempotencyKey: string }) =>
      createApplication(tenant, body, idempotencyKey),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['applications', tenant] }),
  });
}
