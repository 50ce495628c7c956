import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody, ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type BureauConfigWrite = ApiBody<'/api/v1/tenants/{tenant}/bureaus/{bureau}', 'put'>;
export type BureauName = ApiData<'/api/v1/tenants/{tenant}/bureaus/{bureau}', 'put'>['bureau'];

/** Save a bureau's configuration; a secret left out keeps the stored one. */
export async function putBureauConfig(tenant: string, bureau: BureauName, body: BureauConfigWrite) {
  return unwrap(await api.PUT('/api/v1/tenants/{tenant}/bureaus/{bureau}', { params: { path: { tenant, bureau } }, body }));
}

export function usePutBureauConfig(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ bureau, body }: { bureau: BureauName; body: BureauConfigWrite }) => putBureauConfig(tenant, bureau, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['bureaus', tenant] }),
  });
}
