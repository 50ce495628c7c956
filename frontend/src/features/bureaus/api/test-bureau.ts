import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';
import type { BureauName } from './put-bureau-config';

/** A real call to the bureau with the stored credentials: ok, latency, readable error. */
export async function testBureau(tenant: string, bureau: BureauName) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/bureaus/{bureau}/test', { params: { path: { tenant, bureau } } }));
}

export function useTestBureau(tenant: string, bureau: BureauName) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => testBureau(tenant, bureau),
    onSettled: () => qc.invalidateQueries({ queryKey: ['breakers'] }),
  });
}
