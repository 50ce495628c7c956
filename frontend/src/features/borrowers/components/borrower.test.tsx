import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '@/lib/errors';
import { mockApi } from '@/testing/api-mock';
import { renderRoutes } from '@/testing/render';
import BorrowerAccountsPage from './BorrowerAccountsPage';
import BorrowerSignInPage from './BorrowerSignInPage';
import { dpdWords, dueWords, isIndianMobile, maskedMobile, mobileDigits, signInError } from './borrower-words';

// Pages load behind the app's providers: on a busy machine the first find may take more than a second.
configure({ asyncUtilTimeout: 5_000 });
// The borrower's session lives in this tab's sessionStorage: each test starts signed out.
beforeEach(() => sessionStorage.clear());

const ACCOUNT = {
  id: 'loan-1',
  external_ref: 'PL-000123',
  purpose: 'consumer_durable',
  status: 'active',
  as_of: '2026-11-29',
  principal: '50000.00',
  annual_rate_pct: '18.000',
  tenure_months: 12,
  emi: '4583.99',
  disbursed_on: '2026-09-01',
  maturity_on: '2027-09-01',
  outstanding_principal: '38210.40',
  overdue_amount: '4583.99',
  next_due_on: '2026-11-01',
  next_due_amount: '4583.99',
  dpd: 28,
  rbi_class: 'sma_0',
  rbi_class_label: 'SMA-0',
  standing: 'One instalment is 28 days late. Pay it to keep your record clean.',
};

function borrowerServer() {
  const calls: { path: string; body: Record<string, unknown>; auth: string | null }[] = [];
  mockApi({
    'POST /api/v1/auth/refresh': { status: 401, body: { error: 'Unauthorized', detail: 'no session', request_id: 'r' } },
    'POST /api/v1/borrower-auth/otp': (req) => {
      calls.push({ path: 'otp', body: JSON.parse(req.body) as Record<string, unknown>, auth: req.headers.get('Authorization') });
      return {
        status: 202,
        body: { detail: 'If this number is registered with the lender, a sign-in code is on its way.', expires_in: 300 },
      };
    },
    'POST /api/v1/borrower-auth/verify': (req) => {
      const body = JSON.parse(req.body) as Record<string, unknown>;
      calls.push({ path: 'verify', body, auth: req.headers.get('Authorization') });
      if (body.code !== '482913') return { status: 401, body: { error: 'InvalidCode', detail: 'invalid code', request_id: 'r' } };
      return { body: { access_token: 'borrower-access', refresh_token: 'borrower-refresh', token_type: 'bearer', expires_in: 900 } };
    },
    'GET /api/v1/me/accounts': (req) => {
      calls.push({ path: 'accounts', body: {}, auth: req.headers.get('Authorization') });
      return { body: { items: [ACCOUNT] } };
    },
  });
  return calls;
}

const routes = [
  { path: '/borrower/sign-in', element: <BorrowerSignInPage /> },
  { path: '/borrower', element: <BorrowerAccountsPage /> },
];

describe('borrower-words', () => {
  it('says how late a loan is and when the next payment is due', () => {
    expect(dpdWords(0)).toBe('Paid on time');
    expect(dpdWords(1)).toBe('1 day late');
    expect(dpdWords(45)).toBe('45 days late');
    expect(dueWords('2026-11-29', '2026-11-29')).toBe('Due today');
    expect(dueWords('2026-11-30', '2026-11-29')).toBe('Due tomorrow (30 Nov 2026)');
    expect(dueWords('2026-12-05', '2026-11-29')).toBe('Due in 6 days (5 Dec 2026)');
    expect(dueWords('2026-11-01', '2026-11-29')).toBe('Overdue since 1 Nov 2026');
    expect(dueWords(null, '2026-11-29')).toBeNull();
  });

  it('reads an Indian mobile number however it is written, and masks it', () => {
    for (const n of ['9876543210', '+91 98765-43210', '919876543210', '09876543210']) expect(mobileDigits(n)).toBe('9876543210');
    expect(isIndianMobile('+91 98765 43210')).toBe(true);
    expect(isIndianMobile('5876543210')).toBe(false);
    expect(isIndianMobile('98765')).toBe(false);
    expect(maskedMobile('+91 98765 43210')).toBe('+91 ••••• 43210');
  });

  it('tells a locked code from a wrong one', () => {
    expect(signInError(new ApiError(401, { error: 'CodeLocked', detail: 'locked' }))).toMatch(/Too many wrong codes/);
    expect(signInError(new ApiError(401, { error: 'InvalidCode', detail: 'x' }))).toMatch(/not right or has expired/);
    expect(signInError(new ApiError(429, { error: 'RateLimited', detail: 'x' }))).toMatch(/Too many tries/);
  });
});

describe('borrower sign-in', { timeout: 20_000 }, () => {
  it('asks for a code, refuses a wrong one, signs in with the right one and lists the loans in plain words', async () => {
    const calls = borrowerServer();
    renderRoutes(routes, '/borrower/sign-in?lender=demo-nbfc');
    await userEvent.type(await screen.findByRole('textbox', { name: /Mobile number/ }), '12345');
    await userEvent.click(screen.getByRole('button', { name: 'Send code' }));
    expect(await screen.findByText('Enter your 10-digit mobile number, e.g. 98765 43210')).toBeInTheDocument();
    expect(calls).toHaveLength(0);

    await userEvent.clear(screen.getByRole('textbox', { name: /Mobile number/ }));
    await userEvent.type(screen.getByRole('textbox', { name: /Mobile number/ }), '98765 43210');
    await userEvent.click(screen.getByRole('button', { name: 'Send code' }));
    const sent = await screen.findByTestId('code-sent');
    expect(sent).toHaveTextContent('a sign-in code is on its way');
    expect(sent).toHaveTextContent('+91 ••••• 43210');
    expect(calls[0]).toEqual({ path: 'otp', body: { tenant: 'demo-nbfc', phone: '98765 43210', language: 'en' }, auth: null });
    expect(screen.getByText(/You can ask for a new code in \d+ s/)).toBeInTheDocument();

    const boxes = screen.getAllByRole('textbox').filter((el) => el.getAttribute('inputmode') === 'numeric');
    expect(boxes).toHaveLength(6);
    await userEvent.click(boxes[0]!);
    await userEvent.keyboard('111111');
    expect(await screen.findByTestId('code-error')).toHaveTextContent('That code is not right or has expired');

    for (const box of boxes) await userEvent.clear(box);
    await userEvent.click(boxes[0]!);
    await userEvent.keyboard('482913');
    const card = await screen.findByTestId('account-loan-1');
    expect(within(card).getByText('28 days late')).toBeInTheDocument();
    expect(within(card).getByText('₹4,583.99 is overdue')).toBeInTheDocument();
    expect(within(card).getByText('Overdue since 1 Nov 2026')).toBeInTheDocument();
    expect(within(card).getByTestId('standing')).toHaveTextContent('One instalment is 28 days late.');
    expect(screen.getByText('Signed in as +91 ••••• 43210')).toBeInTheDocument();
    await waitFor(() => expect(calls.find((c) => c.path === 'accounts')?.auth).toBe('Bearer borrower-access'));
  });

  it('sends a borrower without a session to the sign-in page', async () => {
    borrowerServer();
    renderRoutes(routes, '/borrower');
    expect(await screen.findByRole('heading', { name: 'Sign in to your loan account' })).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Lender code/ })).toBeInTheDocument();
  });
});
