import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ModelDetail = ApiData<'/api/v1/tenants/{tenant}/models/{model_id}', 'get'>;

export async function getModel(tenant: string, id: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/models/{model_id}', { params: { path: { tenant, model_id: id } } }));
}

export const modelQuery = (tenant: string, id: string) =>
  queryOptions({ queryKey: ['models', tenant, 'detail', id], queryFn: () => getModel(tenant, id) });

export function useModel(tenant: string, id: string) {
  return useQuery(modelQuery(tenant, id));
}
