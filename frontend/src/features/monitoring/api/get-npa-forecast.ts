import { tenantReport } from '@/lib/tenant-report';

export const npaForecast = tenantReport('monitoring-npa-forecast', '/api/v1/tenants/{tenant}/monitoring/npa-forecast');
export const getNpaForecast = npaForecast.fetch;
export const useNpaForecast = npaForecast.useReport;
