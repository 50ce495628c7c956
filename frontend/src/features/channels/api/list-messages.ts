import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData, ApiQuery } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type MessageFilters = ApiQuery<'/api/v1/tenants/{tenant}/messages', 'get'>;
export type MessagePage = ApiData<'/api/v1/tenants/{tenant}/messages', 'get'>;
export type Message = MessagePage['items'][number];

/** Whether a message on the page is still on its way (queued or sent): the page is asked again for its receipts. */
export const awaitingReceipts = (items: readonly Pick<Message, 'status'>[]) =>
  items.some((m) => m.status === 'queued' || m.status === 'sent');

/** The message log, newest first: filter by status, channel, loan or borrower. */
export async function listMessages(tenant: string, query: MessageFilters) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/messages', { params: { path: { tenant }, query } }));
}

export const messagesQuery = (tenant: string, query: MessageFilters) =>
  queryOptions({
    queryKey: ['messages', tenant, query],
    queryFn: () => listMessages(tenant, query),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (awaitingReceipts(q.state.data?.items ?? []) ? 10_000 : false),
  });

export function useMessages(tenant: string, query: MessageFilters) {
  return useQuery(messagesQuery(tenant, query));
}
