import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { errorMessage, unwrap } from '@/lib/errors';
import type { BureauConfig } from './list-bureau-configs';
import type { BureauName } from './put-bureau-config';

export type ConnectionTest = ApiData<'/api/v1/tenants/{tenant}/bureaus/{bureau}/test', 'post'>;

/** The last connection test of a bureau, and the settings it was made with. */
export interface TestOutcome {
  ok: boolean;
  /** null when the request itself failed (no answer from our server). */
  latency_ms: number | null;
  error: string | null;
  /** `settingsKey` of the configuration tested: the outcome no longer holds once that changes. */
  settings: string;
}

/** A real call to the bureau with the stored credentials: ok, latency, readable error. */
export async function testBureau(tenant: string, bureau: BureauName) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/bureaus/{bureau}/test', { params: { path: { tenant, bureau } } }));
}

/** What a connection test depends on — everything but the on/off switch (turning a bureau on keeps its result). */
export function settingsKey(config: BureauConfig): string {
  return JSON.stringify([config.endpoint_url, config.member_id, config.credentials, config.timeout_ms]);
}

const outcomeKey = (tenant: string, bureau: string) => ['bureau-test', tenant, bureau] as const;

/**
 * Test a bureau's connection and keep the outcome on screen until its settings change — across
 * re-renders, refetches and leaving the page (it lives in the query cache, not in the component).
 */
export function useBureauTest(tenant: string, config: BureauConfig) {
  const qc = useQueryClient();
  const key = outcomeKey(tenant, config.bureau);
  const settings = settingsKey(config);
  const stored = useQuery<TestOutcome>({ queryKey: key, queryFn: skipToken, staleTime: Infinity, gcTime: Infinity });
  const run = useMutation({
    mutationFn: () => testBureau(tenant, config.bureau),
    onSuccess: (r) => qc.setQueryData<TestOutcome>(key, { ok: r.ok, latency_ms: r.latency_ms, error: r.error ?? null, settings }),
    onError: (err) => qc.setQueryData<TestOutcome>(key, { ok: false, latency_ms: null, error: errorMessage(err), settings }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['breakers'] }),
  });
  const outcome = stored.data?.settings === settings ? stored.data : undefined;
  return { outcome, run: () => run.mutate(), isPending: run.isPending };
}

/** Forget a bureau's last test (its settings were just replaced). */
export function useForgetBureauTest(tenant: string, bureau: string) {
  const qc = useQueryClient();
  return () => void qc.resetQueries({ queryKey: outcomeKey(tenant, bureau), exact: true });
}
