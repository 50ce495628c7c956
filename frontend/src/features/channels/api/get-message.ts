import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

/** One message with its status history. */
export async function getMessage(tenant: string, messageId: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/messages/{message_id}', { params: { path: { tenant, message_id: messageId } } }));
}

/** Still moving (queued or sent): asked again every few seconds while it is open. */
const settled = (status: string | undefined) => status !== undefined && !['queued', 'sent'].includes(status);

export const messageQuery = (tenant: string, messageId: string) =>
  queryOptions({
    queryKey: ['messages', tenant, 'one', messageId],
    queryFn: () => getMessage(tenant, messageId),
    refetchInterval: (q) => (settled(q.state.data?.status) ? false : 5_000),
  });

export function useMessage(tenant: string, messageId: string | null) {
  return useQuery({ ...messageQuery(tenant, messageId ?? ''), enabled: !!messageId });
}
