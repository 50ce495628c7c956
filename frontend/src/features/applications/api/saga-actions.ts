// The operator's actions on a disbursement saga: retry (lending:manage) and cancel (lending:cancel).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function retrySaga(tenant: string, sagaId: string) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/sagas/{saga_id}/retry', { params: { path: { tenant, saga_id: sagaId } } }));
}

export async function compensateSaga(tenant: string, sagaId: string, reason: string) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/sagas/{saga_id}/compensate', {
      params: { path: { tenant, saga_id: sagaId } },
      body: { reason },
    }),
  );
}

export async function acceptKfs(tenant: string, sagaId: string, contentHash: string) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/sagas/{saga_id}/kfs/accept', {
      params: { path: { tenant, saga_id: sagaId } },
      body: { content_hash: contentHash },
    }),
  );
}

function useSagaMutation<A>(tenant: string, applicationId: string, fn: (arg: A) => Promise<unknown>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: ['disbursement', tenant, applicationId] }),
        qc.invalidateQueries({ queryKey: ['kfs', tenant, applicationId] }),
      ]),
  });
}

export function useRetrySaga(tenant: string, applicationId: string) {
  return useSagaMutation(tenant, applicationId, (sagaId: string) => retrySaga(tenant, sagaId));
}

export function useCompensateSaga(tenant: string, applicationId: string) {
  return useSagaMutation(tenant, applicationId, ({ sagaId, reason }: { sagaId: string; reason: string }) =>
    compensateSaga(tenant, sagaId, reason),
  );
}

export function useAcceptKfs(tenant: string, applicationId: string) {
  return useSagaMutation(tenant, applicationId, ({ sagaId, hash }: { sagaId: string; hash: string }) => acceptKfs(tenant, sagaId, hash));
}
