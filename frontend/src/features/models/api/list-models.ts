import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ModelList = ApiData<'/api/v1/tenants/{tenant}/models', 'get'>;
export type ModelSummary = ModelList['items'][number];

export async function listModels(tenant: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/models', { params: { path: { tenant } } }));
}

export const modelsQuery = (tenant: string) => queryOptions({ queryKey: ['models', tenant], queryFn: () => listModels(tenant) });

/** Newest version first, as the registry lists them. */
const newestFirst = (list: ModelList): ModelList => ({ ...list, items: [...list.items].sort((a, b) => b.version - a.version) });

export function useModels(tenant: string) {
  return useQuery({ ...modelsQuery(tenant), select: newestFirst });
}
