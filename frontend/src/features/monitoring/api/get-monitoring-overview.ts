import { tenantReport } from '@/lib/tenant-report';

export const monitoringOverview = tenantReport('monitoring-overview', '/api/v1/tenants/{tenant}/monitoring/overview');
export const getMonitoringOverview = monitoringOverview.fetch;
export const useMonitoringOverview = monitoringOverview.useReport;
