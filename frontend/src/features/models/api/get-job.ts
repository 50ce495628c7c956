import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

export const JOB_FINISHED = ['succeeded', 'failed', 'dead'];

export async function getJob(tenant: string, jobId: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/jobs/{job_id}', { params: { path: { tenant, job_id: jobId } } }));
}

export const jobQuery = (tenant: string, jobId: string) =>
  queryOptions({
    queryKey: ['job', tenant, jobId],
    queryFn: () => getJob(tenant, jobId),
    refetchInterval: (q) => (q.state.data && JOB_FINISHED.includes(q.state.data.status) ? false : 1500),
  });

export function useJob(tenant: string, jobId: string | null) {
  return useQuery({ ...jobQuery(tenant, jobId ?? ''), enabled: !!jobId });
}
