import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

/**
 * What these thresholds would decide on the last 12 months of decisions — the window Monitoring and
 * Portfolio use — with the knock-outs stored on each decision (nothing is saved).
 */
export async function previewPolicy(tenant: string, approve: number, reject: number) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/policy/preview', {
      params: { path: { tenant } },
      body: { approve_below_pd: approve, reject_at_or_above_pd: reject, months: 12 },
    }),
  );
}

export const policyPreviewQuery = (tenant: string, approve: number, reject: number) =>
  queryOptions({
    queryKey: ['policy-preview', tenant, approve, reject],
    queryFn: () => previewPolicy(tenant, approve, reject),
    enabled: approve > 0 && approve < 1 && reject > 0 && reject <= 1 && approve < reject,
    placeholderData: keepPreviousData,
  });

export function usePolicyPreview(tenant: string, approve: number, reject: number) {
  return useQuery(policyPreviewQuery(tenant, approve, reject));
}
