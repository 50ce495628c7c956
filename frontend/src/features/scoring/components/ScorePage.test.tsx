import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, ME } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import ScorePage from './ScorePage';

const session = {
  'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
  'GET /api/v1/auth/me': { body: ME.officer },
};

describe('ScorePage', () => {
  it('hides the bureau fields when there are no values to enter; an officer cannot narrow the pull', async () => {
    mockApi(session);
    renderWithApp(<ScorePage />);
    expect(await screen.findByTestId('bureau-fields')).toBeInTheDocument();
    expect(screen.getByText(/pulled by PAN from the bureaus your credit policy names/)).toBeInTheDocument();
    expect(screen.queryByRole('switch', { name: /Choose bureaus/ })).toBeNull();
    await userEvent.click(screen.getByRole('switch', { name: /No bureau values to enter/ }));
    expect(screen.queryByTestId('bureau-fields')).toBeNull();
    expect(screen.queryByLabelText('Bureau score')).toBeNull();
  });

  it('lets a user with applications:choose_bureaus narrow the pull for one application', async () => {
    mockApi({ ...session, 'GET /api/v1/auth/me': { body: { ...ME.platformAdmin, tenant: 'demo-nbfc' } } });
    renderWithApp(<ScorePage />);
    await userEvent.click(await screen.findByRole('switch', { name: /Choose bureaus/ }));
    expect(screen.getByTestId('choose-bureaus')).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'CIBIL' })).toBeChecked();
  });

  it('shows per-field messages instead of sending an invalid application', async () => {
    const { calls } = mockApi(session);
    renderWithApp(<ScorePage />);
    await userEvent.type(await screen.findByLabelText(/PAN/), 'BAD');
    await userEvent.click(screen.getByRole('button', { name: 'Score application' }));
    expect(await screen.findByText(/PAN is 5 letters/)).toBeInTheDocument();
    expect(screen.getByText('Name is required')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/applications'))).toBe(false);
  });

  it('loads pasted JSON into the form, scores it with an idempotency key and shows the decision', async () => {
    const sample = {
      applicant: { name: 'Asha Verma', pan: 'ABCPV1234K', date_of_birth: '1998-04-12', employment_type: 'salaried', monthly_income: 65000 },
      loan: { amount: 300000, tenure_months: 24, interest_rate: 16.5, purpose: 'personal' },
    };
    const { calls } = mockApi({
      ...session,
      'POST /api/v1/tenants/demo-nbfc/applications': {
        status: 201,
        body: {
          application_id: 'app_9',
          score: 81,
          credit_score: 742,
          pd: 0.19,
          decision: 'Approve',
          shap_explanation: ['Good repayment history', 'Low utilisation', 'Stable income'],
          contributions: [{ feature: 'bureau_score', value: 712, impact: -0.3 }],
          base_value: -1.2,
          expected_loss: '34200',
          credit_limit: '300000',
          model: { id: 'm', version: 1 },
          policy_version: 1,
          bureau_reports: [],
          created_at: '2026-11-21T10:00:00Z',
        },
      },
    });
    renderWithApp(<ScorePage />);
    await userEvent.click(await screen.findByRole('tab', { name: /Paste or upload JSON/ }));
    await userEvent.click(screen.getByLabelText(/paste JSON/));
    await userEvent.paste(JSON.stringify(sample));
    await userEvent.click(screen.getByRole('button', { name: 'Load into form' }));
    expect(await screen.findByLabelText(/Full name/)).toHaveValue('Asha Verma');
    await userEvent.click(screen.getByRole('button', { name: 'Score application' }));
    expect(await screen.findByTestId('decision-badge')).toHaveTextContent('Approve');
    await waitFor(() => expect(calls.some((c) => c.path.endsWith('/applications'))).toBe(true));
    const post = calls.find((c) => c.path.endsWith('/applications'))!;
    expect(post.headers.get('Idempotency-Key')).toMatch(/.+-[0-9a-f]{8}$/);
    expect(JSON.parse(post.body).applicant.pan).toBe('ABCPV1234K');
  });

  it('says scoring is not available when the server has no scoring API', async () => {
    mockApi(session);
    renderWithApp(<ScorePage />);
    await userEvent.click(await screen.findByRole('tab', { name: /Paste or upload JSON/ }));
    await userEvent.click(screen.getByLabelText(/paste JSON/));
    await userEvent.paste(
      '{"applicant":{"name":"A B","pan":"ABCPV1234K","date_of_birth":"1990-01-01","monthly_income":1},"loan":{"amount":5000,"tenure_months":12,"interest_rate":12}}',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Load into form' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Score application' }));
    expect(await screen.findByText('Scoring is not available on this server')).toBeInTheDocument();
  });
});
