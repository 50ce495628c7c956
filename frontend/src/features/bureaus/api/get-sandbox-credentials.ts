import { useMutation } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

/** The built-in simulator's UAT kit (demo/dev servers only). */
export async function getSandboxCredentials(bureau: string) {
  return unwrap(await api.GET('/simulators/{bureau}/sandbox-credentials', { params: { path: { bureau } } }));
}

export function useSandboxCredentials() {
  return useMutation({ mutationFn: getSandboxCredentials });
}
