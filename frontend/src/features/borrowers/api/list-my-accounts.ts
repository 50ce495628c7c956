import { useQuery } from '@tanstack/react-query';
import type { ApiData } from '@/client/types';
import { unwrap } from '@/lib/errors';
import { borrowerApi } from './borrower-session';

export type MyAccounts = ApiData<'/api/v1/me/accounts', 'get'>;
export type MyAccount = MyAccounts['items'][number];

/** The signed-in borrower's loans: outstanding, next due, days late, where each stands in plain words. */
export async function listMyAccounts() {
  return unwrap(await borrowerApi.GET('/api/v1/me/accounts'));
}

export function useMyAccounts(enabled: boolean) {
  return useQuery({ queryKey: ['borrower', 'accounts'], queryFn: listMyAccounts, enabled, retry: false });
}
