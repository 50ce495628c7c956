import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';

export type DashboardName = ApiBody<'/api/v1/tenants/{tenant}/dashboards/embed-token', 'post'>['dashboard'];

/** A short-lived, tenant-scoped token for the embeddable dashboard (Power BI or the native page). */
export async function createEmbedToken(tenant: string, dashboard: DashboardName) {
  return unwrap(await api.POST('/api/v1/tenants/{tenant}/dashboards/embed-token', { params: { path: { tenant } }, body: { dashboard } }));
}

/** The iframe address: the token's URL, with the token added when the URL does not carry it. */
export function embedSrc(url: string, token: string): string {
  if (url.includes(token)) return url;
  const u = new URL(url, window.location.origin);
  u.searchParams.set('token', token);
  return u.origin === window.location.origin ? u.pathname + u.search : u.toString();
}

export const embedTokenQuery = (tenant: string, dashboard: DashboardName) =>
  queryOptions({
    queryKey: ['embed-token', tenant, dashboard],
    queryFn: () => createEmbedToken(tenant, dashboard),
    staleTime: Infinity,
    // Renew a minute before the token expires.
    refetchInterval: (q) => {
      const exp = q.state.data ? Date.parse(q.state.data.expires_at) : NaN;
      return Number.isFinite(exp) ? Math.max(30_000, exp - Date.now() - 60_000) : false;
    },
  });

export function useEmbedToken(tenant: string, dashboard: DashboardName) {
  return useQuery(embedTokenQuery(tenant, dashboard));
}
