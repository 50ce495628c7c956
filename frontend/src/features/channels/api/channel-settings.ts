import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody, ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type ChannelSettings = ApiData<'/api/v1/tenants/{tenant}/channels/{channel}', 'get'>;
export type ChannelSettingsWrite = ApiBody<'/api/v1/tenants/{tenant}/channels/{channel}', 'put'>;
export type ChannelName = ChannelSettings['channel'];

/** A channel's provider settings; secrets only redacted (at most their last characters). */
export async function getChannelSettings(tenant: string, channel: ChannelName) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/channels/{channel}', { params: { path: { tenant, channel } } }));
}

/** Replace a channel's settings; a secret left out keeps the stored one. */
export async function putChannelSettings(tenant: string, channel: ChannelName, body: ChannelSettingsWrite) {
  return unwrap(await api.PUT('/api/v1/tenants/{tenant}/channels/{channel}', { params: { path: { tenant, channel } }, body }));
}

export const channelSettingsQuery = (tenant: string, channel: ChannelName) =>
  queryOptions({ queryKey: ['channel-settings', tenant, channel], queryFn: () => getChannelSettings(tenant, channel) });

export function useChannelSettings(tenant: string, channel: ChannelName) {
  return useQuery(channelSettingsQuery(tenant, channel));
}

export function usePutChannelSettings(tenant: string, channel: ChannelName) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ChannelSettingsWrite) => putChannelSettings(tenant, channel, body),
    onSuccess: (data) => qc.setQueryData(['channel-settings', tenant, channel], data),
  });
}
