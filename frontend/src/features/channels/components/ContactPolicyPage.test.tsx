import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import ContactPolicyPage from './ContactPolicyPage';

const URL = '/api/v1/tenants/demo-nbfc/contact-policy';
const WARNING = "WhatsApp's Business Messaging Policy prohibits using WhatsApp for debt collection.";
const ALL_RULES = ['opted_out', 'hold', 'blackout', 'contact_window', 'borrower_preference', 'daily_cap', 'weekly_cap'];

const cap = (per_day: number, per_week: number) => ({ per_day, per_week });
const DEFAULTS = {
  window_start: '08:00',
  window_end: '19:00',
  caps: { sms: cap(3, 10), whatsapp: cap(2, 7), email: cap(3, 10), voice: cap(3, 10) },
  blackout_dates: [] as { date: string; reason: string; region?: string | null }[],
  whatsapp_collections_enabled: false,
  borrower_initiated_exemptions: { otp: ALL_RULES },
  version: 0,
  is_default: true,
  limits: {
    window_start: '08:00',
    window_end: '19:00',
    caps: { sms: cap(5, 20), whatsapp: cap(5, 20), email: cap(5, 20), voice: cap(5, 20) },
    blackout_dates: [],
    whatsapp_collections_enabled: true,
    borrower_initiated_exemptions: { otp: ALL_RULES, alert: ALL_RULES.slice(1) },
  },
  whatsapp_collections_warning: WARNING,
  updated_at: null as string | null,
  updated_by: null as string | null,
};

const admin = (permissions = ['channels:read', 'channels:configure']) => ({
  id: 'u2',
  email: 'admin@demo-nbfc.example',
  name: 'Tenant Admin',
  role: 'tenant_admin',
  tenant: 'demo-nbfc',
  permissions,
});

type Reply = { status?: number; body?: unknown };

/** A server holding the policy; `put` answers a PUT (by default: save it as the next version). */
function policyServer(options: { permissions?: string[]; put?: (body: Record<string, unknown>) => Reply } = {}) {
  let policy: Record<string, unknown> = { ...DEFAULTS };
  const puts: Record<string, unknown>[] = [];
  const api = mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: admin(options.permissions) },
    [`GET ${URL}`]: () => ({ body: policy }),
    [`PUT ${URL}`]: (req) => {
      const body = JSON.parse(req.body) as Record<string, unknown>;
      puts.push(body);
      if (options.put) return options.put(body);
      const { version, acknowledge_whatsapp_collections_warning: _ack, ...rest } = body;
      policy = {
        ...policy,
        ...rest,
        version: Number(version) + 1,
        is_default: false,
        updated_at: '2026-11-29T10:00:00Z',
        updated_by: 'admin@demo-nbfc.example',
      };
      return { body: policy };
    },
  });
  return {
    ...api,
    puts,
    setPolicy: (p: Record<string, unknown>) => {
      policy = p;
    },
  };
}

const setTime = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('ContactPolicyPage', { timeout: 15_000 }, () => {
  it("shows RBI's defaults, the limits and the OTP exemption in plain words", async () => {
    policyServer();
    renderWithApp(<ContactPolicyPage />);
    expect(await screen.findByText('Defaults (RBI)')).toBeInTheDocument();
    expect(screen.getByTestId('rbi-window')).toHaveTextContent('RBI limit 08:00–19:00');
    expect(screen.getByLabelText('From')).toHaveValue('08:00');
    expect(screen.getByRole('columnheader', { name: /Per day\s*at most 5/ })).toBeInTheDocument();
    expect(screen.getByRole('columnheader', { name: /Per week\s*at most 20/ })).toBeInTheDocument();
    expect(screen.getByLabelText('Voice call per week')).toHaveValue('10');
    const exemptions = screen.getByTestId('exemptions');
    expect(exemptions).toHaveTextContent('A one-time password (OTP) the borrower asked for is sent even when:');
    expect(
      within(exemptions)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toContain('they opted out of the channel');
  });

  it('saves a tighter window and a blackout date with the version it read, then shows who saved it', async () => {
    const server = policyServer();
    renderWithApp(<ContactPolicyPage />);
    await screen.findByLabelText('From');
    setTime('From', '09:00');
    setTime('Until', '18:00');
    await userEvent.click(screen.getByRole('button', { name: 'Add date' }));
    const row = screen.getByTestId('blackout-0');
    await userEvent.type(within(row).getByLabelText('Date'), '11112026');
    await userEvent.click(within(row).getByLabelText('Reason'));
    await userEvent.paste('Polling day');
    await userEvent.click(within(row).getByLabelText('State (optional)'));
    await userEvent.paste('kl');
    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }));

    await waitFor(() => expect(server.puts).toHaveLength(1));
    expect(server.puts[0]).toMatchObject({
      version: 0,
      window_start: '09:00',
      window_end: '18:00',
      blackout_dates: [{ date: '2026-11-11', reason: 'Polling day', region: 'KL' }],
      whatsapp_collections_enabled: false,
      acknowledge_whatsapp_collections_warning: false,
      borrower_initiated_exemptions: { otp: ALL_RULES },
    });
    expect(await screen.findByTestId('last-saved')).toHaveTextContent('Version 1, saved by admin@demo-nbfc.example');
    expect(screen.queryByText('Defaults (RBI)')).not.toBeInTheDocument();
    expect(screen.getByLabelText('From')).toHaveValue('09:00');
  });

  it("shows each field's 422 message next to that field", async () => {
    policyServer({
      put: () => ({
        status: 422,
        body: {
          error: 'ValidationFailed',
          detail: 'body.window_start: may not be earlier than 08:00; body.caps.sms.per_day: may not be above 5',
          request_id: 'r1',
          fields: [
            { field: 'body.window_start', message: 'may not be earlier than 08:00', type: 'value_error' },
            { field: 'body.caps.sms.per_day', message: 'may not be above 5', type: 'value_error' },
          ],
        },
      }),
    });
    renderWithApp(<ContactPolicyPage />);
    await screen.findByLabelText('From');
    setTime('From', '07:00');
    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText('may not be earlier than 08:00')).toBeInTheDocument();
    expect(screen.getByLabelText('From')).toHaveAttribute('aria-invalid', 'true');
    expect(within(screen.getByTestId('cap-sms')).getByText('may not be above 5')).toBeInTheDocument();
    expect(screen.getByText('The policy was not saved')).toBeInTheDocument();
  });

  it('on a 409 says someone saved meanwhile and reloads their version', async () => {
    const server = policyServer({
      put: () => ({ status: 409, body: { error: 'Conflict', detail: 'the contact policy changed since you read it', request_id: 'r2' } }),
    });
    renderWithApp(<ContactPolicyPage />);
    await screen.findByLabelText('From');
    setTime('From', '10:00');
    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText('Someone saved the policy meanwhile — reload to see their change')).toBeInTheDocument();
    server.setPolicy({
      ...DEFAULTS,
      window_start: '09:30',
      version: 4,
      is_default: false,
      updated_at: '2026-11-29T09:00:00Z',
      updated_by: 'ops@demo-nbfc.example',
    });
    await userEvent.click(screen.getByRole('button', { name: 'Reload the policy' }));
    await waitFor(() => expect(screen.getByLabelText('From')).toHaveValue('09:30'));
    expect(screen.getByTestId('last-saved')).toHaveTextContent('saved by ops@demo-nbfc.example');
    expect(screen.queryByText(/Someone saved the policy meanwhile/)).not.toBeInTheDocument();
  });

  it("turns WhatsApp collections on only after the user confirms the server's warning", async () => {
    const server = policyServer();
    renderWithApp(<ContactPolicyPage />);
    const toggle = await screen.findByRole('switch', { name: /Send collections messages on WhatsApp/ });
    await userEvent.click(toggle);
    let dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('whatsapp-warning')).toHaveTextContent(WARNING);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Keep it off' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(toggle).not.toBeChecked();

    await userEvent.click(toggle);
    dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'I understand, turn it on' }));
    expect(toggle).toBeChecked();
    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(server.puts).toHaveLength(1));
    expect(server.puts[0]).toMatchObject({ whatsapp_collections_enabled: true, acknowledge_whatsapp_collections_warning: true });
  });

  it('is read-only without channels:configure', async () => {
    policyServer({ permissions: ['channels:read'] });
    renderWithApp(<ContactPolicyPage />);
    expect(await screen.findByLabelText('From')).toHaveAttribute('readonly');
    expect(screen.queryByRole('button', { name: 'Save policy' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add date' })).not.toBeInTheDocument();
    expect(screen.getByRole('switch', { name: /Send collections messages on WhatsApp/ })).toBeDisabled();
    expect(screen.getByText(/Only a tenant admin can change it/)).toBeInTheDocument();
  });

  it('shows the load error with a retry', async () => {
    mockApi({
      'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
      'GET /api/v1/auth/me': { body: admin() },
      [`GET ${URL}`]: { status: 500, body: { error: 'Internal', detail: 'database unavailable', request_id: 'r3' } },
    });
    renderWithApp(<ContactPolicyPage />);
    expect(await screen.findByText('Could not load contact policy')).toBeInTheDocument();
    expect(screen.getByText('database unavailable')).toBeInTheDocument();
  });
});
