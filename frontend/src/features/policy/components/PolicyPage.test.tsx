import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, ME } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import PolicyPage from './PolicyPage';

const policy = {
  version: 2,
  approve_below_pd: 0.3,
  reject_at_or_above_pd: 0.6,
  lgd: 0.6,
  knockout_rules: [],
  limit_rules: { max_foir: 0.55, max_limit: '2000000', income_multiple: 12 },
  bureau_pull: { bureaus: null },
  adverse_reason_min_impact: 0.1,
};

describe('PolicyPage', () => {
  it("saves the policy's bureau pull and the smallest adverse reason with the rest of the policy", async () => {
    const admin = { ...ME.platformAdmin, tenant: 'demo-nbfc', permissions: [...ME.platformAdmin.permissions, 'policy:manage'] };
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
      'GET /api/v1/auth/me': { body: admin },
      'GET /api/v1/tenants/demo-nbfc/policy': { body: policy },
      'PUT /api/v1/tenants/demo-nbfc/policy': { body: { ...policy, version: 3 } },
    });
    renderWithApp(<PolicyPage />);
    expect(await screen.findByRole('radio', { name: /Every bureau switched on/ })).toBeChecked();
    await userEvent.click(screen.getByRole('radio', { name: /Only these bureaus/ }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'EXPERIAN' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save as new version' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
    const body = JSON.parse(calls.find((c) => c.method === 'PUT')!.body);
    expect(body.bureau_pull).toEqual({ bureaus: ['cibil', 'crif'] });
    expect(body.adverse_reason_min_impact).toBe(0.1);
  });

  it('shows a rule that does not compile under its condition, and the policy as not saved', async () => {
    const admin = { ...ME.platformAdmin, tenant: 'demo-nbfc', permissions: [...ME.platformAdmin.permissions, 'policy:manage'] };
    mockApi({
      'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
      'GET /api/v1/auth/me': { body: admin },
      'GET /api/v1/tenants/demo-nbfc/policy': { body: policy },
      'PUT /api/v1/tenants/demo-nbfc/policy': {
        status: 422,
        body: {
          error: 'ValidationError',
          detail: 'Invalid request',
          request_id: 'r1',
          fields: [{ field: 'body.knockout_rules.0.when', message: 'Value error, Unexpected end of expression' }],
        },
      },
    });
    renderWithApp(<PolicyPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add rule' }));
    const rule = screen.getByTestId('rule-0');
    for (const [label, text] of [
      ['Name', 'Too young'],
      ['When (ZEN expression)', 'age <'],
      ['Reason', 'Under 21'],
    ]) {
      await userEvent.click(within(rule).getByLabelText(label!));
      await userEvent.paste(text!);
    }
    await userEvent.click(screen.getByRole('button', { name: 'Save as new version' }));
    expect(await within(rule).findByText('Unexpected end of expression')).toBeInTheDocument();
    expect(screen.getByText('The policy was not saved')).toBeInTheDocument();
  });
});
