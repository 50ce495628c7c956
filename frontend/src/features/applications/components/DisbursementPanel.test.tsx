import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, type Handler } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import type { Saga } from '../api/get-disbursement';
import type { Kfs } from '../api/kfs';
import { DisbursementPanel } from './DisbursementPanel';

const BASE = '/api/v1/tenants/demo-nbfc';
const APP = 'app-1';
const user = (role: string, permissions: string[]) => ({
  id: 'u',
  email: `${role}@demo-nbfc.example`,
  name: role,
  role,
  tenant: 'demo-nbfc',
  permissions,
});
const ADMIN = user('tenant_admin', ['applications:read', 'lending:read', 'lending:manage', 'lending:cancel']);
const AUDITOR = user('auditor', ['applications:read', 'lending:read']);

const step = (name: Saga['steps'][number]['name'], status: Saga['steps'][number]['status'], extra = {}) => ({
  name,
  status,
  attempts: status === 'pending' ? 0 : 1,
  started_at: status === 'pending' ? null : '2026-11-29T06:00:00Z',
  finished_at: status === 'completed' ? '2026-11-29T06:00:01Z' : null,
  error: null,
  ...extra,
});

const waitingForSignature: Saga = {
  id: 'saga-1',
  application_id: APP,
  status: 'waiting',
  steps: [
    step('sanction', 'completed'),
    step('kfs', 'completed'),
    step('esign', 'waiting'),
    step('mandate', 'pending'),
    step('disburse', 'pending'),
    step('book', 'pending'),
  ],
  kfs_hash: 'a'.repeat(64),
  kfs_accepted_hash: 'a'.repeat(64),
  loan_id: null,
  payout_id: null,
  error: null,
  esign_request_id: 'esr_7',
  can_retry: true,
  can_compensate: true,
};

const kfs: Kfs = {
  version: 1,
  lender_name: 'Demo NBFC',
  reference: 'LOS-1',
  borrower_name: 'Kavya Nair',
  product: 'Personal loan',
  generated_on: '2026-11-29',
  valid_until: '2026-12-02',
  sanctioned_amount: '100000.00',
  disbursal: 'Single tranche',
  disbursal_on: '2026-11-29',
  tenure_months: 12,
  instalment_type: 'monthly',
  instalment_count: 12,
  emi: '8884.88',
  first_due_on: '2026-12-29',
  interest_rate: '12',
  rate_type: 'fixed',
  charges: [],
  upfront_charges: '2360.00',
  net_disbursed_amount: '97640.00',
  total_interest: '6618.55',
  total_charges: '2360.00',
  total_amount_payable: '108978.55',
  apr: '14.12',
  contingent_charges: [],
  cooling_off_days: 3,
  recovery_agents: 'None',
  grievance_officer: { name: 'G. Officer', designation: 'Grievance Redressal Officer', phone: '1800-000-0000', email: 'g@example.com' },
  schedule: [],
  content_hash: 'a'.repeat(64),
};

function server(me: object, saga: Handler, extra: Record<string, Handler> = {}) {
  return mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: me },
    [`GET ${BASE}/applications/${APP}/disbursement`]: saga,
    [`GET ${BASE}/applications/${APP}/kfs`]: { body: kfs },
    ...extra,
  });
}

describe('DisbursementPanel', { timeout: 15_000 }, () => {
  it('shows each step with its status, what the saga waits for, and the KFS figures', async () => {
    server(ADMIN, { body: waitingForSignature });
    renderWithApp(<DisbursementPanel tenant="demo-nbfc" applicationId={APP} />);
    expect(await screen.findByTestId('saga-status', {}, { timeout: 5000 })).toHaveTextContent('Waiting');
    expect(screen.getByTestId('saga-step-kfs-status')).toHaveTextContent('completed');
    expect(screen.getByTestId('saga-step-esign-status')).toHaveTextContent('waiting');
    expect(screen.getByText(/e-sign the agreement \(sign request esr_7\)/)).toBeInTheDocument();
    const figures = await screen.findByTestId('kfs-figures');
    expect(figures).toHaveTextContent('14.12 %');
    expect(figures).toHaveTextContent('₹8,978.55'); // interest + charges
    expect(figures).toHaveTextContent('3 days');
    expect(screen.getByRole('button', { name: 'Check again' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel loan…' })).toBeInTheDocument();
  });

  it('hides retry and cancel from a role without the permissions', async () => {
    server(AUDITOR, { body: { ...waitingForSignature, status: 'failed', can_compensate: false } });
    renderWithApp(<DisbursementPanel tenant="demo-nbfc" applicationId={APP} />);
    expect(await screen.findByTestId('saga-status', {}, { timeout: 5000 })).toHaveTextContent('Failed');
    expect(screen.queryByRole('button', { name: /Retry|Check again/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Cancel loan/ })).not.toBeInTheDocument();
  });

  it('offers to start an approved application without a saga, and starts it', async () => {
    let started = false;
    const api = server(
      ADMIN,
      () =>
        started
          ? {
              body: {
                ...waitingForSignature,
                status: 'running',
                steps: waitingForSignature.steps.map((s) => ({ ...s, status: 'pending' })),
              },
            }
          : { status: 404, body: { error: 'NotFound', detail: `Application ${APP} has no disbursement saga` } },
      {
        [`POST ${BASE}/applications/${APP}/disbursement`]: () => {
          started = true;
          return { status: 202, body: { saga_id: 'saga-1' } };
        },
      },
    );
    renderWithApp(<DisbursementPanel tenant="demo-nbfc" applicationId={APP} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Start disbursement' }));
    expect(await screen.findByTestId('saga-status', {}, { timeout: 5000 })).toHaveTextContent('Running');
    expect(api.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/disbursement'))).toHaveLength(1);
  });

  it('cancels only after a confirmation with a reason', async () => {
    const api = server(
      ADMIN,
      { body: waitingForSignature },
      {
        [`POST ${BASE}/sagas/saga-1/compensate`]: {
          status: 202,
          body: { ...waitingForSignature, status: 'compensating', can_compensate: false },
        },
      },
    );
    renderWithApp(<DisbursementPanel tenant="demo-nbfc" applicationId={APP} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel loan…' }));
    const dialog = await screen.findByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Cancel the loan' });
    expect(confirm).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/Reason/), 'Borrower withdrew');
    await userEvent.click(confirm);
    await waitFor(() => expect(api.calls.some((c) => c.path.endsWith('/compensate'))).toBe(true));
    const call = api.calls.find((c) => c.path.endsWith('/compensate'))!;
    expect(JSON.parse(call.body)).toEqual({ reason: 'Borrower withdrew' });
  });

  it('says why a retry was refused', async () => {
    server(
      ADMIN,
      { body: waitingForSignature },
      {
        [`POST ${BASE}/sagas/saga-1/retry`]: {
          status: 409,
          body: { error: 'Conflict', detail: 'Saga saga-1 is already being run', request_id: 'r1' },
        },
      },
    );
    renderWithApp(<DisbursementPanel tenant="demo-nbfc" applicationId={APP} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Check again' }));
    expect(await screen.findByText('Saga saga-1 is already being run')).toBeInTheDocument();
  });

  it('links a booked loan and downloads the KFS as a PDF', async () => {
    const api = server(ADMIN, {
      body: { ...waitingForSignature, status: 'completed', loan_id: 'loan-9', can_retry: false, can_compensate: false },
    });
    const created: Blob[] = [];
    URL.createObjectURL = (b: Blob) => {
      created.push(b);
      return 'blob:kfs';
    };
    URL.revokeObjectURL = () => {};
    renderWithApp(<DisbursementPanel tenant="demo-nbfc" applicationId={APP} />);
    expect(await screen.findByRole('link', { name: /Open the loan/ })).toHaveAttribute('href', '/loans/loan-9');
    await userEvent.click(await screen.findByRole('button', { name: 'Download KFS (PDF)' }));
    await waitFor(() => expect(api.calls.some((c) => c.path.endsWith('/kfs') && c.method === 'GET')).toBe(true));
    await waitFor(() => expect(created).toHaveLength(1));
  });
});
