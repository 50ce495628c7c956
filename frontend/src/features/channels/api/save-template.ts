import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type TemplateCreate = ApiBody<'/api/v1/tenants/{tenant}/templates', 'post'>;
export type TemplateContent = ApiBody<'/api/v1/tenants/{tenant}/templates/{template_id}', 'put'>;

/** Create a template's first version, a draft (422 names each field its channel's rules refuse). */
export async function createTemplate(tenant: string, body: TemplateCreate) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/templates', { params: { path: { tenant } }, body }));
}

/** Change a draft, or make the next version (a draft) of an approved template. */
export async function updateTemplate(tenant: string, templateId: string, body: TemplateContent) {
  return unwrap(
    await api.PUT('/api/v1/tenants/{tenant}/templates/{template_id}', { params: { path: { tenant, template_id: templateId } }, body }),
  );
}

/** Create (no id) or change (an id) a template; the list and the version are refreshed either way. */
export function useSaveTemplate(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: { kind: 'create'; body: TemplateCreate } | { kind: 'update'; templateId: string; body: TemplateContent }) =>
      input.kind === 'create' ? createTemplate(tenant, input.body) : updateTemplate(tenant, input.templateId, input.body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['templates', tenant] }),
  });
}
