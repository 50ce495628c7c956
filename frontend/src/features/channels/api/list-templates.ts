import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData, ApiQuery } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type TemplateFilters = ApiQuery<'/api/v1/tenants/{tenant}/templates', 'get'>;
export type TemplatePage = ApiData<'/api/v1/tenants/{tenant}/templates', 'get'>;
export type Template = TemplatePage['items'][number];

/** The tenant's template versions (every version; newest version of each name first). */
export async function listTemplates(tenant: string, query: TemplateFilters) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/templates', { params: { path: { tenant }, query } }));
}

export const templatesQuery = (tenant: string, query: TemplateFilters) =>
  queryOptions({
    queryKey: ['templates', tenant, query],
    queryFn: () => listTemplates(tenant, query),
    placeholderData: keepPreviousData,
  });

export function useTemplates(tenant: string, query: TemplateFilters, enabled = true) {
  return useQuery({ ...templatesQuery(tenant, query), enabled });
}
