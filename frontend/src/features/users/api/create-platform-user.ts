import { useMutation } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type PlatformUserCreate = ApiBody<'/api/v1/platform-users', 'post'>;

export async function createPlatformUser(body: PlatformUserCreate) {
  return unwrap(await api.POST('/api/v1/platform-users', { body }));
}

export function useCreatePlatformUser() {
  return useMutation({ mutationFn: createPlatformUser });
}
