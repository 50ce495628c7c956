import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import TemplatesPage from './TemplatesPage';

// Pages load lazily behind a session restore: on a busy machine the first find may take more than a second.
configure({ asyncUtilTimeout: 5_000 });

const BASE = '/api/v1/tenants/demo-nbfc/templates';

const user = (email: string, permissions: string[]) => ({
  id: email,
  email,
  name: email.split('@')[0],
  role: 'tenant_admin',
  tenant: 'demo-nbfc',
  permissions,
});
const ANALYST = user('analyst@demo-nbfc.example', ['channels:read', 'templates:write']);
const ADMIN = user('admin@demo-nbfc.example', ['channels:read', 'templates:write', 'templates:approve']);

const template = (over: Record<string, unknown>) => ({
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
  version: 1,
  author: 'analyst@demo-nbfc.example',
  approved_by: 'admin@demo-nbfc.example',
  approved_at: '2026-11-29T10:00:00Z',
  created_at: '2026-11-29T09:00:00Z',
  updated_at: '2026-11-29T10:00:00Z',
  ...over,
});

type Req = { url: URL; body: string };

function templateServer(
  me: object,
  items: Record<string, unknown>[],
  extra: Record<string, (req: Req) => { status?: number; body?: unknown }> = {},
) {
  const lists: URLSearchParams[] = [];
  const previews: Record<string, unknown>[] = [];
  const api = mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: me },
    [`GET ${BASE}`]: (req) => {
      lists.push(req.url.searchParams);
      const channel = req.url.searchParams.get('channel');
      const rows = items.filter((t) => !channel || t.channel === channel);
      return { body: { items: rows, total: rows.length, limit: 25, offset: 0 } };
    },
    [`POST ${BASE}/preview`]: (req) => {
      const body = JSON.parse(req.body) as { body: string; language: string };
      previews.push(body);
      const text = body.body.replace('{{amount}}', body.language === 'hi' ? '₹१,२३,४५६' : '₹1,23,456');
      return {
        body: {
          text,
          subject: null,
          segments: body.language === 'hi' ? 2 : 1,
          encoding: body.language === 'hi' ? 'ucs2' : 'gsm7',
          errors: [],
        },
      };
    },
    ...extra,
  });
  return { ...api, lists, previews };
}

describe('TemplatesPage', { timeout: 20_000 }, () => {
  it('lists versions with their status and filters by channel and by a part of the name on the server', async () => {
    const server = templateServer(ANALYST, [
      template({}),
      template({ id: 't2', name: 'otp_whatsapp_en', channel: 'whatsapp', status: 'draft', version: 2 }),
    ]);
    renderWithApp(<TemplatesPage />);
    expect(await screen.findByTestId('status-emi_reminder_sms_en-v1')).toHaveTextContent('approved');
    expect(screen.getByTestId('status-otp_whatsapp_en-v2')).toHaveTextContent('draft');

    await userEvent.click(screen.getByRole('textbox', { name: 'Channel' }));
    await userEvent.click(await screen.findByRole('option', { name: 'WhatsApp', hidden: true }));
    await waitFor(() => expect(server.lists.at(-1)?.get('channel')).toBe('whatsapp'));
    await waitFor(() => expect(screen.queryByTestId('status-emi_reminder_sms_en-v1')).not.toBeInTheDocument());

    await userEvent.click(screen.getByRole('textbox', { name: 'Channel' }));
    await userEvent.click(await screen.findByRole('option', { name: 'SMS', hidden: true }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'emi');
    await waitFor(() => expect(server.lists.at(-1)?.get('name')).toBe('emi'));
    expect(server.lists.at(-1)?.get('channel')).toBe('sms');
    expect(await screen.findByTestId('status-emi_reminder_sms_en-v1')).toBeInTheDocument();
  });

  it('previews the text once typing pauses, with the SMS part count, and saves a draft', async () => {
    const posts: Record<string, unknown>[] = [];
    const server = templateServer(ANALYST, [], {
      [`POST ${BASE}`]: (req) => {
        const body = JSON.parse(req.body) as Record<string, unknown>;
        posts.push(body);
        return { status: 201, body: template({ ...body, id: 't9', status: 'draft', author: ANALYST.email, approved_by: null }) };
      },
    });
    renderWithApp(<TemplatesPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'New template' }));
    const drawer = await screen.findByRole('dialog');
    await userEvent.type(within(drawer).getByRole('textbox', { name: 'Name' }), 'emi_due_sms_en');
    await userEvent.type(within(drawer).getByRole('textbox', { name: 'DLT template id' }), '1107161234567890123');
    await userEvent.type(within(drawer).getByRole('textbox', { name: 'Text' }), 'Pay {{{{amount}} now');
    expect(await within(drawer).findByTestId('preview-text')).toHaveTextContent('Pay ₹1,23,456 now');
    // one request for the whole burst of keystrokes, not one per key
    expect(server.previews).toHaveLength(1);
    expect(within(drawer).getByTestId('sms-segments')).toHaveTextContent('1 SMS part · GSM-7');

    await userEvent.click(within(drawer).getByTestId('add-missing-variables'));
    await userEvent.click(within(drawer).getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0]).toMatchObject({
      name: 'emi_due_sms_en',
      channel: 'sms',
      body: 'Pay {{amount}} now',
      variables: { amount: { type: 'amount', max_length: 30 } },
      dlt_template_id: '1107161234567890123',
      whatsapp_category: null,
    });
    expect(await screen.findByTestId('template-status')).toHaveTextContent('draft');
    expect(screen.getByText('Waiting for an approver (a tenant admin).')).toBeInTheDocument();
  });

  it("shows the server's 422 at the variable it names", async () => {
    templateServer(ANALYST, [], {
      [`POST ${BASE}`]: () => ({
        status: 422,
        body: {
          error: 'ValidationFailed',
          detail: 'body.variables.amount.max_length: at most 30 characters in an SMS (DLT)',
          request_id: 'r1',
          fields: [{ field: 'body.variables.amount.max_length', message: 'at most 30 characters in an SMS (DLT)' }],
        },
      }),
    });
    renderWithApp(<TemplatesPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'New template' }));
    const drawer = await screen.findByRole('dialog');
    await userEvent.type(within(drawer).getByRole('textbox', { name: 'Name' }), 'emi_due_sms_en');
    await userEvent.type(within(drawer).getByRole('textbox', { name: 'DLT template id' }), '1107161234567890123');
    await userEvent.type(within(drawer).getByRole('textbox', { name: 'Text' }), 'Pay {{{{amount}}');
    await userEvent.click(within(drawer).getByTestId('add-missing-variables'));
    await userEvent.click(within(drawer).getByRole('button', { name: 'Save draft' }));
    const row = await within(drawer).findByTestId('variable-0');
    expect(await within(row).findByText('at most 30 characters in an SMS (DLT)')).toBeInTheDocument();
    expect(within(drawer).getByText('The template was not saved')).toBeInTheDocument();
  });

  it('says plainly that the author may not approve their own version', async () => {
    templateServer(ADMIN, [template({ status: 'draft', author: ADMIN.email, approved_by: null, approved_at: null })], {
      [`POST ${BASE}/t1/approve`]: () => ({
        status: 403,
        body: { error: 'Forbidden', detail: 'a template is approved by someone other than the person who wrote it', request_id: 'r2' },
      }),
    });
    renderWithApp(<TemplatesPage />);
    await userEvent.click(await screen.findByRole('row', { name: 'emi_reminder_sms_en v1' }));
    const drawer = await screen.findByRole('dialog');
    await userEvent.click(within(drawer).getByRole('button', { name: 'Approve' }));
    expect(await within(drawer).findByTestId('approval-refused')).toHaveTextContent(
      'You wrote this version; another approver must approve it.',
    );
  });

  it("previews the template's Hindi version when Hindi is chosen", async () => {
    const server = templateServer(ANALYST, [
      template({}),
      template({ id: 'h1', name: 'emi_reminder_sms_hi', language: 'hi', body: 'प्रिय ग्राहक, {{amount}} देय है।' }),
    ]);
    renderWithApp(<TemplatesPage />);
    await userEvent.click(await screen.findByRole('row', { name: 'emi_reminder_sms_en v1' }));
    const drawer = await screen.findByRole('dialog');
    expect(await within(drawer).findByTestId('preview-text')).toHaveTextContent('Dear customer, ₹1,23,456');
    await userEvent.click(within(drawer).getByRole('radio', { name: 'Hindi' }));
    await waitFor(() => expect(within(drawer).getByTestId('preview-text')).toHaveTextContent('प्रिय ग्राहक, ₹१,२३,४५६ देय है।'));
    expect(within(drawer).getByTestId('sms-segments')).toHaveTextContent('2 SMS parts · Unicode (UCS-2)');
    expect(server.previews.at(-1)).toMatchObject({ language: 'hi' });
  });
});
