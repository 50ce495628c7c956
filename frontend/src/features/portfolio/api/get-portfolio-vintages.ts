import { tenantReport } from '@/lib/tenant-report';

export const portfolioVintages = tenantReport('portfolio-vintages', '/api/v1/tenants/{tenant}/portfolio/vintage');
export const getPortfolioVintages = portfolioVintages.fetch;
export const usePortfolioVintages = portfolioVintages.useReport;
