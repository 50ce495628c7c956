import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import BureausPage from './BureausPage';

const TENANT_ADMIN = {
  id: 'u2',
  email: 'admin@demo-nbfc.example',
  name: 'Tenant Admin',
  role: 'tenant_admin',
  tenant: 'demo-nbfc',
  permissions: ['bureaus:read', 'bureaus:manage'],
};
const URL = '/api/v1/tenants/demo-nbfc/bureaus';
const LONG_ERROR =
  'TransUnion CIBIL rejected the credentials (HTTP 403: {"errorCode": "E0403", "errorMessage": "member 1001 is not ' +
  'entitled to consumer reports from this IP; ask your relationship manager to whitelist 203.0.113.7"})';

/** Put text into a field at once (typing key by key is slow in jsdom). */
async function fill(field: HTMLElement, text: string) {
  await userEvent.clear(field);
  await userEvent.click(field);
  await userEvent.paste(text);
}

type Config = Record<string, unknown> & { bureau: string; enabled: boolean };

function unconfigured(bureau: string, secrets: string[]): Config {
  return {
    bureau,
    configured: false,
    enabled: false,
    endpoint_url: null,
    member_id: null,
    credentials: Object.fromEntries(secrets.map((s) => [s, null])),
    timeout_ms: 5000,
    updated_at: null,
    updated_by: null,
  };
}

const cibilConfigured = (enabled: boolean): Config => ({
  bureau: 'cibil',
  configured: true,
  enabled,
  endpoint_url: 'https://uat.cibil.example/v1',
  member_id: 'NB1001',
  credentials: { password: '••••••3f9a', api_key: '••••••77c1' },
  timeout_ms: 3000,
  updated_at: '2026-11-20T10:00:00Z',
  updated_by: 'admin@demo-nbfc.example',
});

/** A server holding the three bureaus' configurations; PUT changes what GET answers. */
function bureauServer(cibil: Config, test: { ok: boolean; latency_ms: number; error: string | null }) {
  const state: Record<string, Config> = {
    cibil,
    experian: unconfigured('experian', ['client_id', 'client_secret']),
    crif: unconfigured('crif', ['user_id', 'password']),
  };
  const puts: Record<string, unknown>[] = [];
  const put = (bureau: string) => (req: { body: string }) => {
    const body = JSON.parse(req.body) as Record<string, unknown>;
    puts.push(body);
    const { credentials, ...rest } = body;
    const redacted = Object.fromEntries(Object.keys((credentials as object) ?? {}).map((k) => [k, '••••••abcd']));
    const before = state[bureau]!;
    state[bureau] = {
      ...before,
      ...rest,
      configured: true,
      credentials: { ...(before.credentials as object), ...redacted },
    } as Config;
    return { body: state[bureau] };
  };
  const api = mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: TENANT_ADMIN },
    [`GET ${URL}`]: () => ({ body: { items: Object.values(state) } }),
    [`PUT ${URL}/cibil`]: put('cibil'),
    [`PUT ${URL}/experian`]: put('experian'),
    [`POST ${URL}/cibil/test`]: { body: test },
  });
  return { ...api, state, puts };
}

describe('BureausPage', { timeout: 15_000 }, () => {
  it('says plainly which bureaus are on, off or not configured', async () => {
    bureauServer(cibilConfigured(false), { ok: true, latency_ms: 71, error: null });
    renderWithApp(<BureausPage />);
    expect(await screen.findByTestId('status-cibil')).toHaveTextContent('Off · not used in decisions');
    expect(screen.getByTestId('status-experian')).toHaveTextContent('Not configured');
    expect(screen.getByRole('switch', { name: 'Experian enabled' })).toBeDisabled();
  });

  it('saves a first configuration switched on', async () => {
    const server = bureauServer(cibilConfigured(true), { ok: true, latency_ms: 71, error: null });
    renderWithApp(<BureausPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Configure Experian' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('switch', { name: /Enabled for scoring/ })).toBeChecked();
    await fill(within(dialog).getByLabelText(/Endpoint URL/), 'https://uat.experian.example');
    await fill(within(dialog).getByLabelText(/Member id/), 'EXP-77');
    await fill(within(dialog).getByLabelText('Client id'), 'client-1');
    await fill(within(dialog).getByLabelText('Client secret'), 'shh-very-secret');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));

    await waitFor(() => expect(server.puts).toHaveLength(1));
    expect(server.puts[0]).toMatchObject({ enabled: true, endpoint_url: 'https://uat.experian.example', member_id: 'EXP-77' });
    expect(await screen.findByTestId('status-experian')).toHaveTextContent('On · used in decisions');
  });

  it('offers to turn on a bureau whose test passed, and keeps the result on screen', async () => {
    const server = bureauServer(cibilConfigured(false), { ok: true, latency_ms: 71, error: null });
    renderWithApp(<BureausPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Test connection to TransUnion CIBIL' }));

    const result = await screen.findByTestId('test-result-cibil');
    expect(result).toHaveTextContent('Connected in 71 ms');
    expect(result).toHaveTextContent('TransUnion CIBIL is off');
    await userEvent.click(within(result).getByRole('button', { name: 'Turn on TransUnion CIBIL' }));

    await waitFor(() => expect(server.puts).toEqual([{ enabled: true }]));
    expect(await screen.findByTestId('status-cibil')).toHaveTextContent('On · used in decisions');
    // the list was fetched again; the test result is still there, now saying what it means
    expect(screen.getByTestId('test-result-cibil')).toHaveTextContent('Connected in 71 ms');
    expect(screen.getByTestId('test-result-cibil')).toHaveTextContent('TransUnion CIBIL is on');
  });

  it('shows a failed test’s error in full until the settings change', async () => {
    const server = bureauServer(cibilConfigured(true), { ok: false, latency_ms: 212, error: LONG_ERROR });
    const { unmount } = renderWithApp(<BureausPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Test connection to TransUnion CIBIL' }));

    const result = await screen.findByTestId('test-result-cibil');
    expect(result).toHaveTextContent('Connection failed after 212 ms');
    expect(result).toHaveTextContent(LONG_ERROR);
    expect(result).toHaveTextContent('decisions record TransUnion CIBIL as unavailable');

    // switching the bureau off and on again does not touch what was tested: the result stays
    await userEvent.click(screen.getByRole('switch', { name: 'TransUnion CIBIL enabled' }));
    await waitFor(() => expect(screen.getByTestId('status-cibil')).toHaveTextContent('Off'));
    expect(screen.getByTestId('test-result-cibil')).toHaveTextContent(LONG_ERROR);

    // a new endpoint is a new configuration: the old result no longer applies
    await userEvent.click(screen.getByRole('button', { name: 'Configure TransUnion CIBIL' }));
    const dialog = await screen.findByRole('dialog');
    const endpoint = within(dialog).getByLabelText(/Endpoint URL/);
    await fill(endpoint, 'https://api.cibil.example/v2');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(server.state.cibil!.endpoint_url).toBe('https://api.cibil.example/v2'));
    await waitFor(() => expect(screen.queryByTestId('test-result-cibil')).toBeNull());
    unmount();
  });
});
