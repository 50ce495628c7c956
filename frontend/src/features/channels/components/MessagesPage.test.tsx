import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import { awaitingReceipts } from '../api/list-messages';
import { idempotencyKey } from './message-send';
import MessagesPage from './MessagesPage';

// Pages load lazily behind a session restore: on a busy machine the first find may take more than a second.
configure({ asyncUtilTimeout: 5_000 });

const T = '/api/v1/tenants/demo-nbfc';
const ANALYST = {
  id: 'u3',
  email: 'analyst@demo-nbfc.example',
  name: 'Risk Analyst',
  role: 'risk_analyst',
  tenant: 'demo-nbfc',
  permissions: ['channels:read', 'channels:consent', 'templates:write', 'messages:send'],
};

const message = (over: Record<string, unknown>) => ({
  id: 'm1',
  status: 'delivered',
  blocked_by: null,
  channel: 'sms',
  purpose: 'reminder',
  template: 't1',
  template_name: 'emi_reminder_sms_en',
  template_version: 2,
  language: 'en',
  loan_id: 'loan-1',
  borrower_id: 'cust-1',
  recipient: '+91•••••3210',
  recipient_role: 'borrower',
  provider_message_id: 'SM123',
  segments: 1,
  cost: '0.1800',
  error_code: null,
  error: null,
  initiated_by: 'agent',
  created_by: 'analyst@demo-nbfc.example',
  created_at: '2026-11-29T05:00:00Z',
  sent_at: '2026-11-29T05:00:02Z',
  delivered_at: '2026-11-29T05:00:09Z',
  read_at: null,
  history: [
    { status: 'queued', at: '2026-11-29T05:00:00Z', detail: null },
    { status: 'sent', at: '2026-11-29T05:00:02Z', detail: 'accepted by the gateway' },
    { status: 'delivered', at: '2026-11-29T05:00:09Z', detail: 'delivery receipt' },
  ],
  ...over,
});
const BLOCKED = message({ id: 'm2', status: 'blocked', blocked_by: 'contact_window', provider_message_id: null, cost: null, history: [] });

const TEMPLATE = {
  id: 't1',
  name: 'emi_reminder_sms_en',
  channel: 'sms',
  purpose: 'reminder',
  language: 'en',
  tone: 'formal',
  body: 'Dear customer, {{amount}} is due on {{due_date}}.',
  subject: null,
  variables: { amount: { type: 'amount', max_length: 20 }, due_date: { type: 'date', max_length: 30 } },
  dlt_template_id: '1107161234567890123',
  whatsapp_category: null,
  collections_content: false,
  status: 'approved',
  version: 2,
  author: 'analyst@demo-nbfc.example',
  approved_by: 'admin@demo-nbfc.example',
  approved_at: '2026-11-29T10:00:00Z',
  created_at: '2026-11-29T09:00:00Z',
  updated_at: '2026-11-29T10:00:00Z',
};

function messageServer(send: (body: Record<string, unknown>, key: string | null) => { status?: number; body?: unknown }) {
  const lists: URLSearchParams[] = [];
  const sends: { body: Record<string, unknown>; key: string | null }[] = [];
  const api = mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: ANALYST },
    [`GET ${T}/contact-policy`]: { body: { window_start: '09:00', window_end: '18:00' } },
    [`GET ${T}/messages`]: (req) => {
      lists.push(req.url.searchParams);
      const status = req.url.searchParams.get('status');
      const items = [message({}), BLOCKED].filter((m) => !status || m.status === status);
      return { body: { items, total: items.length, limit: 25, offset: 0 } };
    },
    [`GET ${T}/messages/m1`]: { body: message({}) },
    [`GET ${T}/messages/m2`]: { body: BLOCKED },
    [`GET ${T}/templates`]: { body: { items: [TEMPLATE], total: 1, limit: 500, offset: 0 } },
    [`POST ${T}/messages`]: (req) => {
      const body = JSON.parse(req.body) as Record<string, unknown>;
      const key = req.headers.get('Idempotency-Key');
      sends.push({ body, key });
      return send(body, key);
    },
  });
  return { ...api, lists, sends };
}

/** Pick an option of a Mantine Select: the options of that select's own list (others' stay mounted). */
async function choose(label: string, option: string, scope: HTMLElement) {
  const input = within(scope).getByRole('textbox', { name: label });
  await userEvent.click(input);
  const list = await waitFor(
    () => document.getElementById(input.getAttribute('aria-controls') ?? '') ?? Promise.reject(new Error('no list')),
  );
  await userEvent.click(within(list).getByRole('option', { name: option, hidden: true }));
}

describe('MessagesPage', { timeout: 20_000 }, () => {
  it("says which rule blocked a message, in the tenant's window, and filters by status", async () => {
    const server = messageServer(() => ({ status: 500 }));
    renderWithApp(<MessagesPage />);
    expect(await screen.findByTestId('blocked-m2')).toHaveTextContent('Outside the contact window (09:00–18:00 borrower-local)');
    expect(screen.getAllByRole('link', { name: 'cust-1' })[0]).toHaveAttribute('href', '/borrowers/cust-1');
    await choose('Status', 'Blocked', screen.getByRole('form', { name: 'Filter messages' }));
    await waitFor(() => expect(server.lists.at(-1)?.get('status')).toBe('blocked'));
    await waitFor(() => expect(screen.queryByTestId('message-m1')).not.toBeInTheDocument());
  });

  it('opens a message with its status history as a timeline', async () => {
    messageServer(() => ({ status: 500 }));
    renderWithApp(<MessagesPage />);
    await userEvent.click(await screen.findByTestId('message-m1'));
    const timeline = await screen.findByTestId('message-timeline');
    expect(within(timeline).getByText('Queued')).toBeInTheDocument();
    expect(within(timeline).getByText('accepted by the gateway')).toBeInTheDocument();
    expect(within(timeline).getByText('Delivered')).toBeInTheDocument();
  });

  it('sends a template: 422s at the variable, then the blocked outcome in words; a retry keeps its key', async () => {
    let attempt = 0;
    const server = messageServer((body) => {
      attempt += 1;
      if (attempt === 1) {
        return {
          status: 422,
          body: {
            error: 'ValidationFailed',
            detail: 'body.variables.amount: not an amount',
            request_id: 'r1',
            fields: [{ field: 'body.variables.amount', message: 'not an amount' }],
          },
        };
      }
      if (attempt === 2) return { status: 503, body: { error: 'Unavailable', detail: 'try again', request_id: 'r2' } };
      return { status: 202, body: { ...BLOCKED, id: 'm3', borrower_id: body.borrower_id } };
    });
    renderWithApp(<MessagesPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Send message' }));
    const drawer = await screen.findByRole('dialog');
    await userEvent.click(within(drawer).getByRole('radio', { name: 'To a borrower' }));
    await userEvent.type(within(drawer).getByRole('textbox', { name: /Borrower \(customer\) id/ }), 'cust-1');
    await choose('Channel', 'SMS', drawer);
    await choose('Template', 'emi_reminder_sms_en · v2', drawer);
    await userEvent.type(within(drawer).getByRole('textbox', { name: /^amount/ }), 'lots');
    await userEvent.type(within(drawer).getByRole('textbox', { name: /^due_date/ }), '2026-12-05');
    await userEvent.click(within(drawer).getByRole('button', { name: 'Send' }));
    expect(await within(drawer).findByText('not an amount')).toBeInTheDocument();

    await userEvent.clear(within(drawer).getByRole('textbox', { name: /^amount/ }));
    await userEvent.type(within(drawer).getByRole('textbox', { name: /^amount/ }), '12500');
    await userEvent.click(within(drawer).getByRole('button', { name: 'Send' }));
    expect(await within(drawer).findByText('try again')).toBeInTheDocument();
    await userEvent.click(within(drawer).getByRole('button', { name: 'Send' }));
    expect(await within(drawer).findByTestId('send-blocked-reason')).toHaveTextContent(
      'Outside the contact window (09:00–18:00 borrower-local)',
    );

    expect(server.sends.map((s) => s.body)).toEqual([
      {
        borrower_id: 'cust-1',
        channel: 'sms',
        template: 't1',
        variables: { amount: 'lots', due_date: '2026-12-05' },
        language: 'en',
        recipient_role: 'borrower',
      },
      {
        borrower_id: 'cust-1',
        channel: 'sms',
        template: 't1',
        variables: { amount: '12500', due_date: '2026-12-05' },
        language: 'en',
        recipient_role: 'borrower',
      },
      {
        borrower_id: 'cust-1',
        channel: 'sms',
        template: 't1',
        variables: { amount: '12500', due_date: '2026-12-05' },
        language: 'en',
        recipient_role: 'borrower',
      },
    ]);
    const [first, second, third] = server.sends.map((s) => s.key);
    expect(first).toBeTruthy();
    expect(second).not.toBe(first); // a changed message is a new message
    expect(third).toBe(second); // the same message retried is the same message
  });
});

describe('idempotencyKey', () => {
  it('keeps the key while the body is the same and makes a new one when it changes', () => {
    const body = {
      borrower_id: 'c',
      channel: 'sms' as const,
      template: 't',
      variables: { a: '1' },
      language: 'en' as const,
      recipient_role: 'borrower' as const,
    };
    const first = idempotencyKey(null, body);
    expect(idempotencyKey(first, { ...body })).toBe(first);
    expect(idempotencyKey(first, { ...body, variables: { a: '2' } }).key).not.toBe(first.key);
  });
});

describe('awaitingReceipts', () => {
  it('asks the log again only while a message on the page is still on its way', () => {
    expect(awaitingReceipts([{ status: 'delivered' }, { status: 'blocked' }, { status: 'read' }, { status: 'failed' }])).toBe(false);
    expect(awaitingReceipts([{ status: 'delivered' }, { status: 'sent' }])).toBe(true);
    expect(awaitingReceipts([{ status: 'queued' }])).toBe(true);
    expect(awaitingReceipts([])).toBe(false);
  });
});
