import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Queue an evaluation (requests while one waits share it) and wait for the job to finish. */
export async function evaluateAlerts(tenant: string, timeoutMs = 60_000) {
  const { job_id } = unwrap(await api.POST('/api/v1/tenants/{tenant}/monitoring/alerts/evaluate', { params: { path: { tenant } } }));
  const deadline = Date.now() + timeoutMs;
  for (let wait = 250; ; wait = Math.min(wait * 1.5, 2000)) {
    const job = unwrap(await api.GET('/api/v1/tenants/{tenant}/jobs/{job_id}', { params: { path: { tenant, job_id } } }));
    if (job.status === 'succeeded') return job;
    if (job.status === 'failed' || job.status === 'dead') throw new Error(job.error ?? 'The evaluation failed');
    if (Date.now() > deadline) throw new Error('The evaluation is still running; the alerts will update when it finishes');
    await sleep(wait);
  }
}

export function useEvaluateAlerts(tenant: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => evaluateAlerts(tenant),
    onSettled: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: ['monitoring-alerts', tenant] }),
        qc.invalidateQueries({ queryKey: ['monitoring-settings', tenant] }),
      ]),
  });
}
