import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

/** One version of a template. */
export async function getTemplate(tenant: string, templateId: string) {
  return unwrap(
    await api.GET('/api/v1/tenants/{tenant}/templates/{template_id}', { params: { path: { tenant, template_id: templateId } } }),
  );
}

export const templateQuery = (tenant: string, templateId: string) =>
  queryOptions({ queryKey: ['templates', tenant, 'one', templateId], queryFn: () => getTemplate(tenant, templateId) });

export function useTemplate(tenant: string, templateId: string | null) {
  return useQuery({ ...templateQuery(tenant, templateId ?? ''), enabled: !!templateId });
}
