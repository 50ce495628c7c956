import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import { redacted, toChannelBody } from './channel-form';
import ChannelsPage from './ChannelsPage';

// Pages load lazily behind a session restore: on a busy machine the first find may take more than a second.
configure({ asyncUtilTimeout: 5_000 });

const T = '/api/v1/tenants/demo-nbfc/channels';
const me = (permissions: string[]) => ({
  id: 'u2',
  email: 'admin@demo-nbfc.example',
  name: 'Tenant Admin',
  role: 'tenant_admin',
  tenant: 'demo-nbfc',
  permissions,
});
const NULLS = {
  base_url: null,
  account_sid: null,
  api_key: null,
  sender: null,
  entity_id: null,
  sms_type: null,
  phone_number_id: null,
  api_version: null,
  caller_id: null,
  host: null,
  port: null,
  username: null,
  starttls: null,
  from_address: null,
  from_name: null,
  tls_ca_pem: null,
  timeout_ms: null,
  unit_cost: null,
  webhook_path: null,
  updated_at: null,
  updated_by: null,
};
const SMS = {
  ...NULLS,
  channel: 'sms',
  configured: true,
  provider: 'exotel',
  base_url: 'http://127.0.0.1:8100/simulators/sms',
  account_sid: 'creditdesk-sandbox',
  api_key: 'sim-sms-api-key-0001',
  sender: 'CRDDSK',
  entity_id: '1101234567890',
  sms_type: 'transactional',
  timeout_ms: 5000,
  unit_cost: '0.1800',
  credentials: { api_token: '••••••0001', webhook_secret: '••••••1a2b' },
  webhook_path: '/api/v1/webhooks/channels/demo-nbfc/sms',
  updated_at: '2026-11-29T09:00:00Z',
  updated_by: 'admin@demo-nbfc.example',
};

function channelServer(permissions: string[], put?: (body: Record<string, unknown>) => { status?: number; body?: unknown }) {
  const puts: Record<string, unknown>[] = [];
  let sms: Record<string, unknown> = SMS;
  const api = mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: me(permissions) },
    [`GET ${T}/sms`]: () => ({ body: sms }),
    [`GET ${T}/email`]: { body: { ...NULLS, channel: 'email', configured: false, provider: 'smtp', credentials: { password: null } } },
    [`PUT ${T}/sms`]: (req) => {
      const body = JSON.parse(req.body) as Record<string, unknown>;
      puts.push(body);
      if (put) return put(body);
      sms = { ...sms, ...body, credentials: { ...SMS.credentials, api_token: '••••••9z9z' }, updated_at: '2026-11-29T11:00:00Z' };
      return { body: sms };
    },
    [`POST ${T}/sms/test`]: { body: { ok: false, latency_ms: 212, detail: 'the SMS provider refused the API key and token (HTTP 401)' } },
  });
  return { ...api, puts };
}

describe('channel-form', () => {
  it('shows a secret by its last four characters only', () => {
    expect(redacted('••••••1a2b')).toBe('•••• 1a2b');
    expect(redacted('***xyz9')).toBe('•••• xyz9');
    expect(redacted(null)).toBeNull();
    expect(redacted('')).toBeNull();
  });

  it("sends the channel's own fields and only the secrets typed", () => {
    const body = toChannelBody('email', {
      fields: { host: ' smtp.example.in ', port: '587', starttls: true, username: '', from_address: 'dues@example.in', timeout_ms: 5000 },
      secrets: { password: '' },
    });
    expect(body).toEqual({
      host: 'smtp.example.in',
      port: 587,
      starttls: true,
      username: null,
      from_address: 'dues@example.in',
      from_name: null,
      tls_ca_pem: null,
      timeout_ms: 5000,
      unit_cost: null,
    });
    expect(toChannelBody('whatsapp', { fields: {}, secrets: { access_token: 'EAAG-new', app_secret: '' } })).toMatchObject({
      access_token: 'EAAG-new',
    });
    expect(toChannelBody('whatsapp', { fields: {}, secrets: { app_secret: '' } })).not.toHaveProperty('app_secret');
  });
});

describe('ChannelsPage', { timeout: 20_000 }, () => {
  it('shows secrets redacted and replaces only the one typed', async () => {
    const server = channelServer(['channels:read', 'channels:configure']);
    renderWithApp(<ChannelsPage />);
    expect(await screen.findByTestId('configured-sms')).toHaveTextContent('Configured · exotel');
    expect(screen.getByText('Stored: •••• 1a2b')).toBeInTheDocument();
    expect(screen.getByTestId('webhook-url')).toHaveTextContent('/api/v1/webhooks/channels/demo-nbfc/sms');
    await userEvent.type(screen.getByLabelText('API token'), 'new-token-9z9z');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(server.puts).toHaveLength(1));
    expect(server.puts[0]).toMatchObject({ api_token: 'new-token-9z9z', sender: 'CRDDSK', timeout_ms: 5000, unit_cost: '0.1800' });
    expect(server.puts[0]).not.toHaveProperty('webhook_secret');
    expect(server.puts[0]).not.toHaveProperty('host');
    expect(server.puts[0]).not.toHaveProperty('provider');
    expect(await screen.findByText('Stored: •••• 9z9z')).toBeInTheDocument();
  });

  it("puts the server's 422 at the field it names", async () => {
    channelServer(['channels:read', 'channels:configure'], () => ({
      status: 422,
      body: {
        error: 'ValidationFailed',
        detail: 'body.sender: String should match pattern',
        request_id: 'r1',
        fields: [{ field: 'body.sender', message: 'the header is 6 letters or digits' }],
      },
    }));
    renderWithApp(<ChannelsPage />);
    const sender = await screen.findByLabelText(/Sender \(header\)/);
    await userEvent.clear(sender);
    await userEvent.type(sender, 'CREDITDESK');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('the header is 6 letters or digits')).toBeInTheDocument();
    expect(sender).toHaveAttribute('aria-invalid', 'true');
  });

  it("shows a failed test's detail in full", async () => {
    channelServer(['channels:read', 'channels:configure']);
    renderWithApp(<ChannelsPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Test SMS' }));
    const result = await screen.findByTestId('channel-test-result');
    expect(result).toHaveTextContent('Connection failed after 212 ms');
    expect(result).toHaveTextContent('refused the API key and token');
  });

  it('is read-only without channels:configure: secrets as their last characters, no save, no test', async () => {
    channelServer(['channels:read']);
    renderWithApp(<ChannelsPage />);
    expect(await screen.findByText('•••• 1a2b')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Test SMS' })).not.toBeInTheDocument();
    expect(screen.getByLabelText(/Sender \(header\)/)).toHaveAttribute('readonly');

    await userEvent.click(screen.getByRole('tab', { name: 'E-mail' }));
    expect(await screen.findByTestId('configured-email')).toHaveTextContent('Not configured');
    expect(within(screen.getByRole('tabpanel')).getByText('not set')).toBeInTheDocument();
  });
});
