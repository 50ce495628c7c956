import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { ApiError, unwrap } from '@/lib/errors';

export type Saga = ApiData<'/api/v1/tenants/{tenant}/sagas/{saga_id}', 'get'>;
export type SagaStep = Saga['steps'][number];

/** How often the page asks again while the saga is moving (running, waiting on someone, compensating). */
export const SAGA_POLL_MS = 2000;
const SETTLED: readonly Saga['status'][] = ['completed', 'compensated', 'failed'];

export function isSettled(saga: Saga | null | undefined): boolean {
  return !saga || SETTLED.includes(saga.status);
}

/** The application's disbursement saga, or null when it has none (the API's 404). */
export async function getDisbursement(tenant: string, applicationId: string): Promise<Saga | null> {
  try {
    return unwrap(
      await api.GET('/api/v1/tenants/{tenant}/applications/{application_id}/disbursement', {
        params: { path: { tenant, application_id: applicationId } },
      }),
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && !err.routeMissing) return null;
    throw err;
  }
}

export const disbursementQuery = (tenant: string, applicationId: string) =>
  queryOptions({
    queryKey: ['disbursement', tenant, applicationId],
    queryFn: () => getDisbursement(tenant, applicationId),
    // poll while the saga moves; stop once it has settled (or there is none)
    refetchInterval: (query) => (isSettled(query.state.data) ? false : SAGA_POLL_MS),
  });

export function useDisbursement(tenant: string, applicationId: string, enabled = true) {
  return useQuery({ ...disbursementQuery(tenant, applicationId), enabled });
}
