// One loan: its detail (schedule, payments), its month-end history, its events and its e-mandate.
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/client';
import type { ApiData } from '@/client/types';
import { ApiError, unwrap } from '@/lib/errors';

export type Loan = ApiData<'/api/v1/tenants/{tenant}/portfolio/loans/{loan_id}', 'get'>;
export type LoanHistory = ApiData<'/api/v1/tenants/{tenant}/portfolio/loans/{loan_id}/history', 'get'>;
export type LoanEvents = ApiData<'/api/v1/tenants/{tenant}/portfolio/loans/{loan_id}/events', 'get'>;
export type LoanEvent = LoanEvents['items'][number];
export type Mandate = ApiData<'/api/v1/tenants/{tenant}/loans/{loan_id}/mandate', 'get'>;

export async function getLoan(tenant: string, loanId: string) {
  return unwrap(await api.GET('/api/v1/tenants/{tenant}/portfolio/loans/{loan_id}', { params: { path: { tenant, loan_id: loanId } } }));
}

export async function getLoanHistory(tenant: string, loanId: string) {
  return unwrap(
    await api.GET('/api/v1/tenants/{tenant}/portfolio/loans/{loan_id}/history', { params: { path: { tenant, loan_id: loanId } } }),
  );
}

export async function listLoanEvents(tenant: string, loanId: string, limit: number, offset: number) {
  return unwrap(
    await api.GET('/api/v1/tenants/{tenant}/portfolio/loans/{loan_id}/events', {
      params: { path: { tenant, loan_id: loanId }, query: { limit, offset } },
    }),
  );
}

/** The loan's e-mandate, or null when it has none (a 404 — also while the server has no mandate API yet). */
export async function getLoanMandate(tenant: string, loanId: string): Promise<Mandate | null> {
  try {
    return unwrap(await api.GET('/api/v1/tenants/{tenant}/loans/{loan_id}/mandate', { params: { path: { tenant, loan_id: loanId } } }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export const loanQuery = (tenant: string, loanId: string) =>
  queryOptions({ queryKey: ['loan', tenant, loanId], queryFn: () => getLoan(tenant, loanId) });

export function useLoan(tenant: string, loanId: string) {
  return useQuery(loanQuery(tenant, loanId));
}

export function useLoanHistory(tenant: string, loanId: string) {
  return useQuery({ queryKey: ['loan', tenant, loanId, 'history'], queryFn: () => getLoanHistory(tenant, loanId) });
}

export function useLoanEvents(tenant: string, loanId: string, limit: number, offset: number) {
  return useQuery({
    queryKey: ['loan', tenant, loanId, 'events', limit, offset],
    queryFn: () => listLoanEvents(tenant, loanId, limit, offset),
  });
}

export function useLoanMandate(tenant: string, loanId: string) {
  return useQuery({ queryKey: ['loan', tenant, loanId, 'mandate'], queryFn: () => getLoanMandate(tenant, loanId) });
}
