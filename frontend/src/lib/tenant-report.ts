// One GET of a tenant-scoped report that takes nothing but the tenant (portfolio, monitoring,
// bureaus…): its fetcher, its query options and its hook, typed from the generated client.
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, type paths } from '@/client';
import type { ApiData } from '@/client/types';
import { unwrap } from './errors';

/** Paths whose GET takes the tenant and nothing else required. */
type TenantReportPath = {
  [P in keyof paths]: paths[P] extends { get: { parameters: { path: { tenant: string } } } }
    ? keyof paths[P]['get']['parameters']['path'] extends 'tenant'
      ? P
      : never
    : never;
}[keyof paths];

export function tenantReport<P extends TenantReportPath>(key: string, path: P) {
  type Data = ApiData<P, 'get'>;
  // openapi-fetch cannot check a call on a path that is still generic, but can on the union of every such path.
  const get: (
    url: TenantReportPath,
    init: { params: { path: { tenant: string } } },
  ) => Promise<{ data?: unknown; error?: unknown; response: Response }> = api.GET;
  const fetch = async (tenant: string): Promise<Data> => unwrap(await get(path, { params: { path: { tenant } } })) as Data;
  const options = (tenant: string) => queryOptions({ queryKey: [key, tenant], queryFn: () => fetch(tenant) });
  function useReport(tenant: string) {
    return useQuery(options(tenant));
  }
  return { fetch, options, useReport };
}
