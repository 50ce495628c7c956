import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function acknowledgeAlert(tenant: string, alertId: string) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/monitoring/alerts/{alert_id}/acknowledge', {
      params: { path: { tenant, alert_id: alertId } },
    }),
  );
}

export function useAcknowledgeAlert(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (alertId: string) => acknowledgeAlert(tenant, alertId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['monitoring-alerts', tenant] }),
  });
}
