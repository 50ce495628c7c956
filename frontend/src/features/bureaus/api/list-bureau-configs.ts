import type { ApiData } from '@/client/types';
import { tenantReport } from '@/lib/tenant-report';

export type BureauConfigList = ApiData<'/api/v1/tenants/{tenant}/bureaus', 'get'>;
export type BureauConfig = BureauConfigList['items'][number];

export const bureauConfigs = tenantReport('bureaus', '/api/v1/tenants/{tenant}/bureaus');
export const listBureauConfigs = bureauConfigs.fetch;
export const useBureauConfigs = bureauConfigs.useReport;
