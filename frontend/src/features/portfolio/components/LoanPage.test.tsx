import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi, type Handler } from '@/testing/api-mock';
import { renderRoutes, SignedIn } from '@/testing/render';
import type { Loan, LoanEvent } from '../api/get-loan';
import LoanPage, { balanceSeries, describeEvent } from './LoanPage';

const BASE = '/api/v1/tenants/demo-nbfc';
const ANALYST = {
  id: 'u3',
  email: 'analyst@demo-nbfc.example',
  name: 'Risk Analyst',
  role: 'risk_analyst',
  tenant: 'demo-nbfc',
  permissions: ['portfolio:read'],
};

const instalment = (seq: number, due_on: string, closing: string, status: Loan['schedule'][number]['status'], paid: string) => ({
  seq,
  due_on,
  principal: '8000.00',
  interest: '884.88',
  amount: '8884.88',
  closing_balance: closing,
  paid_amount: paid,
  status,
  paid_on: status === 'paid' ? due_on : null,
});

const loan: Loan = {
  id: 'loan-1',
  external_ref: 'LN-0001',
  application_id: 'app-1',
  customer_name: 'Asha Verma',
  purpose: 'vehicle',
  principal: '100000.00',
  annual_rate_pct: '12.000',
  tenure_months: 12,
  emi: '8884.88',
  disbursed_on: '2025-01-10',
  first_due_on: '2025-02-10',
  maturity_on: '2026-01-10',
  as_of: '2025-03-20',
  status: 'active',
  dpd: 8,
  asset_class: 'sma_0',
  asset_class_label: 'SMA-0',
  outstanding_principal: '92000.00',
  overdue_amount: '8884.88',
  paid_amount: '8884.88',
  schedule: [instalment(1, '2025-02-10', '92000.00', 'paid', '8884.88'), instalment(2, '2025-03-10', '84000.00', 'overdue', '0.00')],
  payments: [{ id: 'p1', loan_id: 'loan-1', reference: 'UTR-1', amount: '8884.88', paid_on: '2025-02-10', channel: 'upi', created_at: '' }],
  collateral: [],
  guarantors: [],
  customer_id: 'c1',
  pd_at_origination: 0.04,
  model_id: null,
  model_version: null,
  created_at: '2025-01-10T05:00:00Z',
  closed_on: null,
  npa_since: null,
  loss_marked_on: null,
  ratios: { emi: '8884.88', dti: null, lti: null, ltv: null },
};

const events: LoanEvent[] = [
  {
    id: 'e2',
    type: 'loan.dpd_changed',
    tenant: 'demo-nbfc',
    occurred_at: '2025-03-11T00:30:00Z',
    data: { loan_id: 'loan-1', previous_dpd: 0, dpd: 1, bucket: '1-30', asset_class: 'sma_0', as_of: '2025-03-11' },
  },
  {
    id: 'e1',
    type: 'payment.received',
    tenant: 'demo-nbfc',
    occurred_at: '2025-02-10T05:00:00Z',
    data: { loan_id: 'loan-1', payment_id: 'p1', reference: 'UTR-1', amount: '8884.88', paid_on: '2025-02-10', channel: 'upi' },
  },
];

function server(mandate: Handler) {
  return mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: ANALYST },
    [`GET ${BASE}/portfolio/loans/loan-1`]: { body: loan },
    [`GET ${BASE}/portfolio/loans/loan-1/history`]: { body: { loan_id: 'loan-1', points: [] } },
    [`GET ${BASE}/portfolio/loans/loan-1/events`]: { body: { items: events, total: 2, limit: 20, offset: 0 } },
    [`GET ${BASE}/loans/loan-1/mandate`]: mandate,
  });
}

const render = () =>
  renderRoutes(
    [
      {
        path: '/loans/:id',
        element: (
          <SignedIn>
            <LoanPage />
          </SignedIn>
        ),
      },
    ],
    '/loans/loan-1',
  );

describe('LoanPage', { timeout: 15_000 }, () => {
  it('shows the loan with the borrower masked, its schedule, payments and events', async () => {
    server({ status: 404, body: { error: 'NotFound', detail: 'Loan loan-1 has no e-mandate' } });
    render();
    expect(await screen.findByRole('heading', { name: 'Loan LN-0001' }, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByText('A••• V•••')).toBeInTheDocument();
    // the borrower's page (consents, contact rules, messages) is one click away
    expect(screen.getByRole('link', { name: 'A••• V•••' })).toHaveAttribute('href', '/borrowers/c1');
    expect(screen.queryByText('Asha Verma')).not.toBeInTheDocument();
    expect(screen.getByTestId('loan-badges')).toHaveTextContent('8 DPD');
    expect(screen.getByTestId('loan-badges')).toHaveTextContent('SMA-0');
    const schedule = screen.getByRole('table', { name: 'Repayment schedule' });
    expect(within(schedule).getAllByRole('row')).toHaveLength(3);
    expect(within(schedule).getByText('overdue')).toBeInTheDocument();
    expect(within(screen.getByRole('table', { name: 'Payments' })).getByText('UTR-1')).toBeInTheDocument();
    const timeline = await screen.findByTestId('loan-events');
    expect(timeline).toHaveTextContent('Days past due changed');
    expect(timeline).toHaveTextContent('0 → 1 DPD (1-30, SMA-0)');
    expect(await screen.findByText('No e-mandate on this loan')).toBeInTheDocument();
  });

  it('shows the mandate and its bounced debit with the reason', async () => {
    server({
      body: {
        id: 'm1',
        status: 'active',
        umrn: 'SIMB7000000001',
        max_amount: '8884.88',
        registered_at: '2025-01-09T10:00:00Z',
        debits: [
          { due_date: '2025-02-10', amount: '8884.88', status: 'paid', reason_code: null, reason: null },
          { due_date: '2025-03-10', amount: '8884.88', status: 'bounced', reason_code: '01', reason: 'Insufficient funds' },
        ],
      },
    });
    render();
    const debits = await screen.findByRole('table', { name: 'Mandate debits' }, { timeout: 5000 });
    expect(within(debits).getByText('bounced')).toBeInTheDocument();
    expect(within(debits).getByText('01 Insufficient funds')).toBeInTheDocument();
    expect(screen.getByText(/UMRN SIMB7000000001/)).toBeInTheDocument();
  });

  it('plots the scheduled balance against the actual month-end outstanding', () => {
    const rows = balanceSeries(loan, {
      loan_id: 'loan-1',
      points: [{ as_of: '2025-02-28', dpd: 0, asset_class: 'standard', outstanding_principal: '92000.00', overdue_amount: '0.00' }],
    });
    expect(rows).toEqual([
      { month: '2025-01', Scheduled: 100000 },
      { month: '2025-02', Scheduled: 92000, Actual: 92000 },
      { month: '2025-03', Scheduled: 84000 },
    ]);
    expect(describeEvent(events[1]!)).toBe('₹8,884.88 on 10 Feb 2025 by UPI · UTR-1');
  });
});
