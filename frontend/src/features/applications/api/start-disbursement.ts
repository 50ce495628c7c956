import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function startDisbursement(tenant: string, applicationId: string) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/applications/{application_id}/disbursement', {
      params: { path: { tenant, application_id: applicationId } },
    }),
  );
}

export function useStartDisbursement(tenant: string, applicationId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => startDisbursement(tenant, applicationId),
    onSettled: () => qc.invalidateQueries({ queryKey: ['disbursement', tenant, applicationId] }),
  });
}
