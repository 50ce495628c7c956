import { useMutation } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';
import type { ChannelName } from './channel-settings';

export type ChannelTest = ApiData<'/api/v1/tenants/{tenant}/channels/{channel}/test', 'post'>;

/** A real call to the provider with the stored credentials: ok, latency and what it said. */
export async function testChannel(tenant: string, channel: ChannelName) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/channels/{channel}/test', { params: { path: { tenant, channel } } }));
}

export function useTestChannel(tenant: string, channel: ChannelName) {
  return useMutation({ mutationFn: () => testChannel(tenant, channel) });
}
