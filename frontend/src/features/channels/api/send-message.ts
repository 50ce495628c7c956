import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type MessageCreate = ApiBody<'/api/v1/tenants/{tenant}/messages', 'post'>;

/**
 * Send a message through the contact policy: 202 with the message, queued or blocked (with the rule).
 * The same `idempotencyKey` with the same body answers the same message (a retried click never sends twice).
 */
export async function sendMessage(tenant: string, body: MessageCreate, idempotencyKey: string) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/messages', {
      params: { path: { tenant }, header: { 'Idempotency-Key': idempotencyKey } },
      body,
    }),
  );
}

export function useSendMessage(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: MessageCreate; idempotencyKey: string }) => sendMessage(tenant, body, idempotencyKey),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['messages', tenant] }),
  });
}
