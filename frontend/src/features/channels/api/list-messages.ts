import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData, ApiQuery } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type MessageFilters = ApiQuery<'/api/v1/tenants/{tenant}/messages', 'get'>;
export type MessagePage = ApiData<'/api/v1/tenants/{tenant}/messages', 'get'>;
export type Message = MessagePage['items'][number];

/** The message log, newest first: filter by status, channel, loan or borrower. */
export async function listMessages(tenant: string, query: MessageFilters) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/messages', { params: { path: { tenant }, query } }));
}

export const messagesQuery = (tenant: string, query: MessageFilters) =>
  queryOptions({
    queryKey: ['messages', tenant, query],
    queryFn: () => listMessages(tenant, query),
    placeholderData: keepPreviousData,
  });

export function useMessages(tenant: string, query: MessageFilters) {
  return useQuery(messagesQuery(tenant, query));
}
