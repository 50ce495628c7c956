import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/api-mock';
import { renderRoutes, SignedIn } from '@/testing/render';
import BorrowerPage from './BorrowerPage';
import { ledgerSentence, standing } from './consent-words';

// Pages load lazily behind a session restore: on a busy machine the first find may take more than a second.
configure({ asyncUtilTimeout: 5_000 });

const B = '/api/v1/tenants/demo-nbfc/borrowers/cust-1';
const ANALYST = {
  id: 'u3',
  email: 'analyst@demo-nbfc.example',
  name: 'Risk Analyst',
  role: 'risk_analyst',
  tenant: 'demo-nbfc',
  permissions: ['channels:read', 'channels:consent'],
};
const entry = (over: Record<string, unknown>) => ({
  id: 'e1',
  channel: 'whatsapp',
  purpose: 'reminder',
  action: 'granted',
  source: 'borrower_app',
  evidence: null,
  recorded_by: null,
  created_at: '2026-11-20T05:00:00Z',
  ...over,
});
const CONSENTS = {
  customer_id: 'cust-1',
  opted_out: ['sms'],
  consents: { whatsapp: ['reminder'] },
  history: [
    entry({ id: 'e2', channel: 'sms', purpose: null, action: 'opted_out', source: 'sms_reply', evidence: 'SM-991 "STOP"' }),
    entry({}),
  ],
};

function borrowerServer() {
  const posts: { path: string; body: Record<string, unknown> }[] = [];
  const messages: URLSearchParams[] = [];
  let state: Record<string, unknown> = CONSENTS;
  const answer = (path: string) => (req: { body: string }) => {
    const body = JSON.parse(req.body) as Record<string, unknown>;
    posts.push({ path, body });
    if (path === 'opt-in' && String(body.evidence ?? '').length < 3) {
      return {
        status: 422,
        body: { error: 'ValidationFailed', detail: 'x', request_id: 'r', fields: [{ field: 'body.evidence', message: 'too short' }] },
      };
    }
    const optedOut = path === 'opt-out' ? ['all'] : path === 'opt-in' ? [] : CONSENTS.opted_out;
    state = {
      ...state,
      opted_out: optedOut,
      history: [
        entry({
          id: `n${posts.length}`,
          channel: body.channel,
          purpose: null,
          action: path === 'opt-out' ? 'opted_out' : 'opted_in',
          source: body.source,
          evidence: body.evidence,
        }),
        ...CONSENTS.history,
      ],
    };
    return { status: 201, body: state };
  };
  mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: ANALYST },
    'GET /api/v1/tenants/demo-nbfc/contact-policy': { body: { window_start: '08:00', window_end: '19:00' } },
    [`GET ${B}/consents`]: () => ({ body: state }),
    [`POST ${B}/opt-out`]: answer('opt-out'),
    [`POST ${B}/opt-in`]: answer('opt-in'),
    'GET /api/v1/tenants/demo-nbfc/messages': (req) => {
      messages.push(req.url.searchParams);
      return { body: { items: [], total: 0, limit: 25, offset: 0 } };
    },
  });
  return { posts, messages };
}

const renderPage = () =>
  renderRoutes(
    [
      {
        path: '/borrowers/:id',
        element: (
          <SignedIn>
            <BorrowerPage />
          </SignedIn>
        ),
      },
    ],
    '/borrowers/cust-1',
  );

describe('consent-words', () => {
  it('reads each channel’s standing and each ledger entry in words', () => {
    expect(standing({ opted_out: ['all'], consents: {} }).every((s) => s.optedOut && s.optedOutOfAll)).toBe(true);
    expect(standing(CONSENTS).map((s) => [s.channel, s.optedOut, s.purposes])).toEqual([
      ['sms', true, []],
      ['whatsapp', false, ['reminder']],
      ['email', false, []],
      ['voice', false, []],
    ]);
    expect(ledgerSentence({ action: 'opted_out', channel: 'all', purpose: null })).toBe('Opted out of every channel');
    expect(ledgerSentence({ action: 'granted', channel: 'whatsapp', purpose: 'reminder' })).toBe('Consented to reminder on WhatsApp');
    expect(ledgerSentence({ action: 'withdrawn', channel: 'email', purpose: 'offer' })).toBe('Withdrew consent to offer on E-mail');
  });
});

describe('BorrowerPage', { timeout: 20_000 }, () => {
  it("shows the borrower's standing, the ledger and only their messages", async () => {
    const server = borrowerServer();
    renderPage();
    expect(within(await screen.findByTestId('standing-sms')).getByText('Opted out')).toBeInTheDocument();
    expect(within(screen.getByTestId('standing-whatsapp')).getByText('Agreed to: Reminder')).toBeInTheDocument();
    const ledger = screen.getByTestId('consent-ledger');
    expect(within(ledger).getByText('Opted out of SMS')).toBeInTheDocument();
    expect(within(ledger).getByText('Evidence: SM-991 "STOP"')).toBeInTheDocument();
    await waitFor(() => expect(server.messages.at(-1)?.get('borrower_id')).toBe('cust-1'));
  });

  it('opts the borrower out of everything, and back in only with the evidence of their request', async () => {
    const server = borrowerServer();
    renderPage();
    await userEvent.click(await screen.findByRole('button', { name: 'Opt out of everything' }));
    let dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Opt out' }));
    expect(await screen.findByTestId('opted-out-all')).toBeInTheDocument();
    expect(server.posts[0]).toEqual({ path: 'opt-out', body: { channel: 'all', source: 'portal', evidence: null } });

    await userEvent.click(within(screen.getByTestId('standing-email')).getByRole('button', { name: 'Opt in' }));
    dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Record' }));
    expect(await within(dialog).findByText(/What shows the borrower asked/)).toBeInTheDocument();
    await userEvent.type(within(dialog).getByRole('textbox', { name: /Evidence of the request/ }), 'call 2026-11-29 11:02');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Record' }));
    await waitFor(() => expect(screen.queryByTestId('opted-out-all')).not.toBeInTheDocument());
    expect(server.posts[1]).toEqual({ path: 'opt-in', body: { channel: 'all', source: 'portal', evidence: 'call 2026-11-29 11:02' } });
  });
});
