import { tenantReport } from '@/lib/tenant-report';

export const monitoringSettings = tenantReport('monitoring-settings', '/api/v1/tenants/{tenant}/monitoring/settings');
export const getMonitoringSettings = monitoringSettings.fetch;
export const useMonitoringSettings = monitoringSettings.useReport;
