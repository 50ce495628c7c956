import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export async function listBreakers() {
  return unwrap(await api.GET('/api/v1/ops/breakers'));
}

export const breakersQuery = () => queryOptions({ queryKey: ['breakers'], queryFn: listBreakers, refetchInterval: 15_000 });

/** Circuit-breaker state per tenant and bureau (platform admin and platform risk analyst). */
export function useBreakers(enabled: boolean) {
  return useQuery({ ...breakersQuery(), enabled });
}
