import { tenantReport } from '@/lib/tenant-report';

export const delinquency = tenantReport('monitoring-delinquency', '/api/v1/tenants/{tenant}/monitoring/delinquency');
export const getDelinquency = delinquency.fetch;
export const useDelinquency = delinquency.useReport;
