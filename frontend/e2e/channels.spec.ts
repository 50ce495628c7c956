// Channels in the portal against the real server: templates go through maker–checker approval, and an
// analyst sends an approved template from the message log, which answers queued or blocked with its rule.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { apiToken, baseURL, chooseTenant, login, logout, requireRoutes, USERS } from './support';

const TENANT_API = '/api/v1/tenants/demo-nbfc';
const TEMPLATE_TEXT = 'Dear customer, your EMI of {{amount}} is due on {{due_date}}. Pay on time to keep your record clean. - Demo NBFC';
/** Every rule's sentence starts one of these ways (channel-words.ts blockedReason). */
const BLOCKED_IN_WORDS =
  /^(Outside the contact window \(\d\d:\d\d–\d\d:\d\d borrower-local\)|The borrower opted out|Not a party to the loan|Collections content on WhatsApp|The borrower has not consented|Contact with this borrower is on hold|A blackout date|Outside the hours the borrower|The (daily|weekly) cap)/;

async function openTemplates(page: Page) {
  await page.getByRole('link', { name: 'Templates', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Templates' })).toBeVisible();
}

async function openTemplate(page: Page, name: string, version: number) {
  await page.getByRole('form', { name: 'Filter templates' }).getByLabel('Name').fill(name);
  await page.getByRole('row', { name: `${name} v${version}` }).click();
  return page.getByRole('dialog');
}

test('an analyst writes a template, an admin approves it, and the admin may not approve a version they wrote', async ({
  page,
  request,
}) => {
  await requireRoutes(
    request,
    'GET /api/v1/tenants/{tenant}/templates',
    'POST /api/v1/tenants/{tenant}/templates',
    'PUT /api/v1/tenants/{tenant}/templates/{template_id}',
    'POST /api/v1/tenants/{tenant}/templates/{template_id}/approve',
    'POST /api/v1/tenants/{tenant}/templates/preview',
  );
  const name = `e2e_emi_due_sms_${Date.now()}`;
  await login(page, USERS.platformAnalyst);
  await chooseTenant(page, 'Demo NBFC Ltd');
  await openTemplates(page);

  await page.getByRole('button', { name: 'New template' }).click();
  const editor = page.getByRole('dialog');
  await editor.getByRole('textbox', { name: /^Name/ }).fill(name);
  await editor.getByRole('textbox', { name: /^DLT template id/ }).fill('1107161234567890123');
  await editor.getByRole('textbox', { name: /^Text/ }).fill(TEMPLATE_TEXT);
  // the preview names the placeholders not declared yet; declaring them renders sample values
  await expect(editor.getByTestId('preview-errors')).toBeVisible();
  await editor.getByTestId('add-missing-variables').click();
  await expect(editor.getByTestId('preview-text')).toContainText('12,345.50');
  await expect(editor.getByTestId('sms-segments')).toContainText(/SMS parts? · GSM-7/);
  await editor.getByRole('button', { name: 'Save draft' }).click();

  const detail = page.getByRole('dialog');
  await expect(detail.getByTestId('template-status')).toHaveText('draft');
  await expect(detail.getByText('Waiting for an approver (a tenant admin).')).toBeVisible();
  await expect(detail.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await page.keyboard.press('Escape');
  await logout(page);

  // the checker: a tenant admin approves the analyst's draft
  await login(page, USERS.tenantAdmin);
  await openTemplates(page);
  let drawer = await openTemplate(page, name, 1);
  await drawer.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByTestId(`status-${name}-v1`)).toHaveText('approved');

  // the admin writes version 2, and is refused as its approver
  drawer = await openTemplate(page, name, 1);
  await drawer.getByRole('button', { name: 'New version' }).click();
  const next = page.getByRole('dialog');
  await expect(next.getByText(/Saving makes version 2, a draft/)).toBeVisible();
  await next.getByRole('textbox', { name: /^Text/ }).fill(TEMPLATE_TEXT.replace('Pay on time', 'Please pay on time'));
  await next.getByRole('button', { name: 'Save as new version' }).click();
  drawer = page.getByRole('dialog');
  await expect(drawer.getByTestId('template-status')).toHaveText('draft');
  await drawer.getByRole('button', { name: 'Approve' }).click();
  await expect(drawer.getByTestId('approval-refused')).toHaveText('You wrote this version; another approver must approve it.');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId(`status-${name}-v2`)).toHaveText('draft');
  await expect(page.getByTestId(`status-${name}-v1`)).toHaveText('approved');
});

type Json = Record<string, unknown>;

/** An approved SMS template (written by the analyst, approved by the tenant admin), over the API. */
async function approvedTemplate(request: APIRequestContext): Promise<string> {
  const analyst = { Authorization: `Bearer ${await apiToken(request, USERS.platformAnalyst)}` };
  const admin = { Authorization: `Bearer ${await apiToken(request, USERS.tenantAdmin)}` };
  const created = await request.post(`${baseURL()}${TENANT_API}/templates`, {
    headers: analyst,
    data: {
      name: `e2e_send_sms_${Date.now()}`,
      channel: 'sms',
      purpose: 'reminder',
      language: 'en',
      tone: 'formal',
      body: TEMPLATE_TEXT,
      variables: { amount: { type: 'amount', max_length: 20 }, due_date: { type: 'date', max_length: 30 } },
      dlt_template_id: '1107161234567890123',
    },
  });
  expect(created.ok(), await created.text()).toBeTruthy();
  const template = (await created.json()) as Json;
  const approved = await request.post(`${baseURL()}${TENANT_API}/templates/${String(template.id)}/approve`, { headers: admin });
  expect(approved.ok(), await approved.text()).toBeTruthy();
  return String(template.name);
}

/** A loan booked now for a borrower with a mobile number (the demo book's borrowers have none on record). */
async function aLoanWithAPhone(request: APIRequestContext, mobile = '+919812345678'): Promise<string> {
  const headers = { Authorization: `Bearer ${await apiToken(request, USERS.tenantAdmin)}` };
  const today = new Date().toISOString().slice(0, 10);
  const r = await request.post(`${baseURL()}${TENANT_API}/portfolio/loans`, {
    headers,
    data: {
      external_ref: `E2E-MSG-${Date.now()}`,
      customer: { name: 'Kavya Rao', phone: mobile, state: 'Karnataka' },
      principal: '50000',
      annual_rate_pct: '18',
      tenure_months: 12,
      disbursed_on: today,
      purpose: 'consumer_durable',
    },
  });
  expect(r.ok(), await r.text()).toBeTruthy();
  return String(((await r.json()) as Json).id);
}

test("an analyst sends an approved template to a loan's borrower and sees it queued or blocked with its rule", async ({
  page,
  request,
}) => {
  await requireRoutes(
    request,
    'GET /api/v1/tenants/{tenant}/messages',
    'POST /api/v1/tenants/{tenant}/messages',
    'GET /api/v1/tenants/{tenant}/messages/{message_id}',
    'POST /api/v1/tenants/{tenant}/templates/{template_id}/approve',
  );
  const templateName = await approvedTemplate(request);
  const loanId = await aLoanWithAPhone(request);

  await login(page, USERS.platformAnalyst);
  await chooseTenant(page, 'Demo NBFC Ltd');
  await page.getByRole('link', { name: 'Messages', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Messages' })).toBeVisible();
  await page.getByRole('button', { name: 'Send message' }).click();
  const drawer = page.getByRole('dialog');
  await drawer.getByLabel('Loan id').fill(loanId);
  await drawer.getByRole('textbox', { name: 'Channel' }).click();
  await page.getByRole('option', { name: 'SMS', exact: true }).click();
  await drawer.getByRole('textbox', { name: 'Template' }).click();
  await page.getByRole('option', { name: `${templateName} · v1` }).click();

  // a value the server refuses is named at its field
  await drawer.getByLabel(/^amount/).fill('a lot');
  await drawer.getByLabel(/^due_date/).fill('2026-12-05');
  await drawer.getByRole('button', { name: 'Send' }).click();
  await expect(drawer.getByText(/must be an amount/)).toBeVisible();

  await drawer.getByLabel(/^amount/).fill('12500');
  await drawer.getByRole('button', { name: 'Send' }).click();
  const outcome = drawer.getByTestId('send-outcome');
  await expect(outcome).toBeVisible();
  const blocked = ((await outcome.textContent()) ?? '').includes('Blocked');
  if (blocked) {
    await expect(drawer.getByTestId('send-blocked-reason')).toHaveText(BLOCKED_IN_WORDS);
  } else {
    await expect(outcome).toContainText('Queued');
  }

  // the message in the log, its status history as a timeline
  await drawer.getByRole('button', { name: 'Open the message' }).click();
  const detail = page.getByTestId('message-detail');
  await expect(detail).toBeVisible();
  await expect(detail.getByTestId('message-timeline')).toBeVisible();
  if (blocked) await expect(detail.getByTestId('blocked-reason')).toHaveText(BLOCKED_IN_WORDS);
  await expect(detail).toContainText(templateName);
  await page.keyboard.press('Escape');

  // the log filtered to that loan lists it; its borrower's page shows their consents and the same message
  await page.getByRole('form', { name: 'Filter messages' }).getByLabel('Loan id').fill(loanId);
  const row = page.getByRole('row').filter({ hasText: templateName });
  await expect(row).toHaveCount(1);
  await row.getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Borrower' })).toBeVisible();
  await expect(page.getByTestId('standing-sms')).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: templateName })).toHaveCount(1);
});

/** A made-up Indian mobile number no earlier run used (the server allows 3 codes per number per 10 minutes). */
const freshMobile = () => `9${String(Date.now()).slice(-9)}`;

/** The code the lender's WhatsApp or SMS account (the built-in simulators) carried to `mobile`. */
async function codeSentTo(request: APIRequestContext, mobile: string): Promise<string> {
  const headers = { Authorization: `Bearer ${await apiToken(request, USERS.tenantAdmin)}` };
  const account = async (channel: string) =>
    (await (await request.get(`${baseURL()}${TENANT_API}/channels/${channel}`, { headers })).json()) as Json;
  const whatsapp = await account('whatsapp');
  const sms = await account('sms');
  const inboxes = [
    whatsapp.phone_number_id && `${baseURL()}/simulators/whatsapp/apps/${String(whatsapp.phone_number_id)}/messages`,
    sms.account_sid && `${baseURL()}/simulators/sms/accounts/${String(sms.account_sid)}/messages`,
  ].filter(Boolean) as string[];
  let code = '';
  await expect
    .poll(
      async () => {
        for (const inbox of inboxes) {
          const items = ((await (await request.get(inbox)).json()) as { items?: Json[] }).items ?? [];
          for (const item of items.reverse()) {
            const text = JSON.stringify(item);
            if (!text.includes(mobile)) continue;
            const found = /"(\d{6})"/.exec(JSON.stringify(item.template ?? '')) ?? /\b(\d{6})\b/.exec(String(item.Body ?? ''));
            if (found) code = found[1]!;
            if (code) return code;
          }
        }
        return code;
      },
      { timeout: 30_000, message: `no sign-in code reached ${mobile}` },
    )
    .toMatch(/^\d{6}$/);
  return code;
}

test('a borrower signs in by code on a phone and sees their loan in plain words', async ({ browser, request }) => {
  await requireRoutes(request, 'POST /api/v1/borrower-auth/otp', 'POST /api/v1/borrower-auth/verify', 'GET /api/v1/me/accounts');
  const mobile = freshMobile();
  await aLoanWithAPhone(request, mobile);
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.goto(`${baseURL()}/borrower/sign-in?lender=demo-nbfc`);
  await phone.getByRole('textbox', { name: /Mobile number/ }).fill(`${mobile.slice(0, 5)} ${mobile.slice(5)}`);
  await phone.getByRole('button', { name: 'Send code' }).click();
  await expect(phone.getByTestId('code-sent')).toContainText(`+91 ••••• ${mobile.slice(5)}`);

  // a wrong code is refused in words; the right one signs in
  const code = await codeSentTo(request, mobile);
  const wrong = code === '000000' ? '111111' : '000000';
  await phone.getByRole('textbox').first().click();
  await phone.keyboard.type(wrong);
  await expect(phone.getByTestId('code-error')).toContainText('That code is not right or has expired');
  for (const box of await phone.getByRole('textbox').all()) await box.fill('');
  await phone.getByRole('textbox').first().click();
  await phone.keyboard.type(code);
  await expect(phone.getByRole('heading', { level: 1, name: 'Your loans' })).toBeVisible();
  await expect(phone.getByText(`Signed in as +91 ••••• ${mobile.slice(5)}`)).toBeVisible();
  const card = phone.locator('[data-testid^="account-"]');
  await expect(card).toHaveCount(1);
  await expect(card).toContainText(/Paid on time|days? late/);
  await expect(card.getByTestId('standing')).not.toBeEmpty();

  // signing out ends the session: the loans page sends the borrower back to sign in
  await phone.getByRole('button', { name: 'Sign out' }).click();
  await expect(phone.getByRole('heading', { name: 'Sign in to your loan account' })).toBeVisible();
  await phone.goto(`${baseURL()}/borrower`);
  await expect(phone.getByRole('heading', { name: 'Sign in to your loan account' })).toBeVisible();
  await phone.close();
});
