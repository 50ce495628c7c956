import { tenantReport } from '@/lib/tenant-report';

export const portfolioSummary = tenantReport('portfolio-summary', '/api/v1/tenants/{tenant}/portfolio/summary');
export const getPortfolioSummary = portfolioSummary.fetch;
export const usePortfolioSummary = portfolioSummary.useReport;
