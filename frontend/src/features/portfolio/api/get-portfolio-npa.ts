import { tenantReport } from '@/lib/tenant-report';

export const portfolioNpa = tenantReport('portfolio-npa', '/api/v1/tenants/{tenant}/portfolio/npa');
export const getPortfolioNpa = portfolioNpa.fetch;
export const usePortfolioNpa = portfolioNpa.useReport;
