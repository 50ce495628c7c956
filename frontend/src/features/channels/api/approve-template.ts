import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

/** Approve a draft written by someone else (maker–checker: its author gets 403). */
export async function approveTemplate(tenant: string, templateId: string) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/templates/{template_id}/approve', {
      params: { path: { tenant, template_id: templateId } },
    }),
  );
}

export function useApproveTemplate(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (templateId: string) => approveTemplate(tenant, templateId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['templates', tenant] }),
  });
}
