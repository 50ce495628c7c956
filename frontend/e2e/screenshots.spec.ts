// Screenshots of every page for docs/screenshots/ (and the README's tour). Runs only with
// SCREENSHOTS=1 (`make screenshots`), so the normal test run never rewrites tracked files.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import {
  apiToken,
  approvedApplication,
  baseURL,
  batchCsv,
  chooseTenant,
  login,
  logout,
  signAtEsp,
  signRequestOf,
  USERS,
  waitForBooking,
} from './support';

const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
const SAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'sample_application.json');

test.skip(!process.env.SCREENSHOTS, 'screenshots are taken by `make screenshots` (SCREENSHOTS=1)');
test.describe.configure({ mode: 'serial' });
test.setTimeout(180_000);

async function shot(page: Page, name: string, fullPage = true) {
  mkdirSync(OUT, { recursive: true });
  // Let charts finish drawing and notifications fade.
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(700);
  await page.addStyleTag({ content: '.mantine-Notifications-root { display: none !important; }' });
  await page.screenshot({ path: `${OUT}/${name}.png`, fullPage });
}

async function go(page: Page, path: string) {
  await page.goto(`${baseURL()}${path}`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

test('@screens login', async ({ page }) => {
  await page.goto(`${baseURL()}/login`);
  await page.getByLabel('E-mail').fill(USERS.auditor);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toBeVisible();
  await shot(page, '01-login', false);
});

test('@screens platform admin pages', async ({ page }) => {
  await login(page, USERS.platformAdmin);
  await go(page, '/tenants');
  await shot(page, '02-tenants');
  await page.getByRole('button', { name: 'New tenant' }).click();
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await shot(page, '03-tenant-create-validation', false);
  await page.keyboard.press('Escape');
  await chooseTenant(page, 'Demo NBFC Ltd');
  await go(page, '/users');
  await shot(page, '04-users');
  await go(page, '/api-keys');
  await page.getByRole('button', { name: 'New API key' }).click();
  await page.getByLabel(/^Name/).fill('LOS production');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByTestId('new-api-key')).toBeVisible();
  await shot(page, '05-api-keys');
  await go(page, '/audit');
  await expect(page.getByTestId('chain-status')).toBeVisible();
  await shot(page, '06-audit');
});

test('@screens risk analyst pages', async ({ page }) => {
  await login(page, USERS.platformAnalyst);
  await chooseTenant(page, 'Demo NBFC Ltd');
  await go(page, '/bureaus');
  await page.getByRole('button', { name: 'Test connection to Experian' }).click();
  await expect(page.getByTestId('test-result-experian')).toBeVisible();
  await shot(page, '07-bureaus');
  await page.getByRole('button', { name: 'Configure TransUnion CIBIL' }).click();
  await shot(page, '08-bureau-replace-secret', false);
  await page.keyboard.press('Escape');
  await go(page, '/models');
  await shot(page, '09-models');
  await page
    .getByRole('link', { name: /^v\d+$/ })
    .first()
    .click();
  await expect(page.getByRole('heading', { name: /Model v\d+/ })).toBeVisible();
  await shot(page, '10-model-card');
  await go(page, '/policy');
  await expect(page.getByTestId('approval-preview-panel')).toBeVisible();
  await shot(page, '11-policy');
  await go(page, '/monitoring');
  await expect(page.getByTestId('delinquency-chart')).toBeVisible();
  await page.frameLocator('[data-testid="dashboard-iframe"]').locator('body').waitFor();
  await shot(page, '12-monitoring');
  await go(page, '/portfolio');
  await shot(page, '13-portfolio');
});

test('@screens field officer pages', async ({ page }) => {
  await login(page, USERS.officer);
  await go(page, '/score');
  await page.getByRole('tab', { name: 'Paste or upload JSON' }).click();
  await page.getByTestId('json-dropzone').locator('input[type=file]').setInputFiles(SAMPLE);
  await page.getByRole('button', { name: 'Score application' }).click();
  await expect(page.getByTestId('decision-result')).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, '14-score');
  await go(page, '/batches');
  await page
    .getByTestId('batch-dropzone')
    .locator('input[type=file]')
    .setInputFiles({ name: 'applications.csv', mimeType: 'text/csv', buffer: Buffer.from(batchCsv()) });
  await expect(page.getByTestId('batch-preview')).toBeVisible();
  await page.getByRole('button', { name: 'Submit batch' }).click();
  await expect(page.getByTestId('batch-status')).toContainText('succeeded', { timeout: 60_000 });
  await shot(page, '15-batches');
  await go(page, '/applications');
  await shot(page, '16-applications');
  await page.getByRole('row').nth(1).click();
  await expect(page.getByTestId('decision-result')).toBeVisible();
  await shot(page, '17-application-detail');
  await page.goto(`${baseURL()}/bureaus`);
  await expect(page.getByTestId('forbidden')).toBeVisible();
  await shot(page, '18-forbidden', false);
  await logout(page);
});

test('@screens scoring at phone width', async ({ browser }) => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await login(page, USERS.officer);
  await go(page, '/score');
  await shot(page, '19-score-phone-form', false);
  await page.getByRole('tab', { name: 'Paste or upload JSON' }).click();
  await page.getByTestId('json-dropzone').locator('input[type=file]').setInputFiles(SAMPLE);
  await page.getByRole('button', { name: 'Score application' }).click();
  await expect(page.getByTestId('decision-result')).toBeVisible();
  await page.getByTestId('decision-result').scrollIntoViewIfNeeded();
  await page.waitForTimeout(800);
  await page.addStyleTag({ content: '.mantine-Notifications-root { display: none !important; }' });
  await page.getByTestId('decision-result').screenshot({ path: `${OUT}/20-score-phone-result.png` });
  await page.getByRole('button', { name: 'Toggle navigation' }).click();
  await shot(page, '21-phone-navigation', false);
  await page.close();
});

test('@screens disbursement saga and the loan page, also at phone width', async ({ page, browser, request }) => {
  const token = await apiToken(request, USERS.tenantAdmin);
  const applicationId = await approvedApplication(request, token);
  await login(page, USERS.tenantAdmin);
  await go(page, `/applications/${applicationId}`);
  await page.getByRole('button', { name: 'Start disbursement' }).click();
  await expect(page.getByTestId('saga-step-kfs-status')).toHaveText('waiting', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Record the borrower’s KFS acceptance' }).click();
  await expect(page.getByTestId('saga-step-esign-status')).toHaveText('waiting', { timeout: 30_000 });
  await shot(page, '22-application-disbursement');
  await signAtEsp(request, await signRequestOf(request, token, applicationId));
  await waitForBooking(page);
  await shot(page, '23-application-booked');
  await page.getByRole('link', { name: /Open the loan/ }).click();
  await expect(page.getByTestId('loan-events')).toContainText('Loan disbursed');
  const loanPath = new URL(page.url()).pathname;
  await shot(page, '24-loan');
  await go(page, '/portfolio');
  await page.getByTestId('loan-list').scrollIntoViewIfNeeded();
  await page.getByTestId('loan-list').screenshot({ path: `${OUT}/25-portfolio-loans.png` });

  // a loan of the demo book that fell behind: payments, DPD moves and (when it has one) its mandate's bounces
  const behind = await request.get(`${baseURL()}/api/v1/tenants/demo-nbfc/portfolio/loans`, {
    headers: { Authorization: `Bearer ${token}` },
    params: { asset_class: 'sma', limit: 1 },
  });
  const [late] = ((await behind.json()) as { items: { id: string }[] }).items;
  if (late) {
    await go(page, `/loans/${late.id}`);
    await expect(page.getByTestId('loan-events')).toBeVisible();
    await shot(page, '28-loan-behind');
  }

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await login(phone, USERS.tenantAdmin);
  await go(phone, loanPath);
  await expect(phone.getByTestId('loan-events')).toContainText('Loan disbursed');
  await shot(phone, '26-loan-phone');
  await go(phone, `/applications/${applicationId}`);
  await expect(phone.getByTestId('saga-status')).toContainText('Completed');
  await phone.getByTestId('disbursement').screenshot({ path: `${OUT}/27-application-disbursement-phone.png` });
  await phone.close();
});

test('@screens contact policy, also at phone width', async ({ page, browser }) => {
  const addBlackout = async (p: Page) => {
    await p.getByRole('button', { name: 'Add date' }).click();
    const row = p.getByTestId(/^blackout-/).last();
    await row.getByLabel('Date', { exact: true }).fill('11/11/2026');
    await row.getByLabel('Reason').fill('Polling day');
    await row.getByLabel('State (optional)').fill('KL');
    await p.evaluate(() => window.scrollTo(0, 0));
  };
  await login(page, USERS.tenantAdmin);
  await go(page, '/contact-policy');
  await expect(page.getByTestId('rbi-window')).toBeVisible();
  await addBlackout(page);
  await shot(page, '29-contact-policy');
  await page.getByRole('switch', { name: /Send collections messages on WhatsApp/ }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await shot(page, '30-contact-policy-whatsapp-warning', false);
  await page.keyboard.press('Escape');
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await login(phone, USERS.tenantAdmin);
  await go(phone, '/contact-policy');
  await expect(phone.getByTestId('rbi-window')).toBeVisible();
  await addBlackout(phone);
  await shot(phone, '31-contact-policy-phone');
  await phone.close();
});

test('@screens channels: templates, messages, channel settings and a borrower, also at phone width', async ({ page, browser, request }) => {
  const api = `${baseURL()}/api/v1/tenants/demo-nbfc`;
  const analyst = { Authorization: `Bearer ${await apiToken(request, USERS.platformAnalyst)}` };
  const admin = { Authorization: `Bearer ${await apiToken(request, USERS.tenantAdmin)}` };
  const variables = { amount: { type: 'amount', max_length: 20 }, due_date: { type: 'date', max_length: 30 } };
  const texts: Record<string, string> = {
    en: 'Dear customer, your EMI of {{amount}} is due on {{due_date}}. Pay on time to keep your record clean. - Demo NBFC',
    hi: 'प्रिय ग्राहक, आपकी {{amount}} की EMI {{due_date}} को देय है। समय पर भुगतान करें। - Demo NBFC',
  };
  const ids: Record<string, string> = {};
  for (const [language, body] of Object.entries(texts)) {
    const r = await request.post(`${api}/templates`, {
      headers: analyst,
      data: {
        name: `emi_due_sms_${language}`,
        channel: 'sms',
        purpose: 'reminder',
        language,
        body,
        variables,
        dlt_template_id: '1107161234567890123',
      },
    });
    expect(r.ok(), await r.text()).toBeTruthy();
    ids[language] = String(((await r.json()) as { id: string }).id);
    const approved = await request.post(`${api}/templates/${ids[language]}/approve`, { headers: admin });
    expect(approved.ok(), await approved.text()).toBeTruthy();
  }
  const booked = await request.post(`${api}/portfolio/loans`, {
    headers: admin,
    data: {
      external_ref: `SCREENS-MSG-${Date.now()}`,
      customer: { name: 'Kavya Rao', phone: '+919812345678', state: 'Karnataka' },
      principal: '50000',
      annual_rate_pct: '18',
      tenure_months: 12,
      disbursed_on: new Date().toISOString().slice(0, 10),
      purpose: 'consumer_durable',
    },
  });
  expect(booked.ok(), await booked.text()).toBeTruthy();
  const loan = (await booked.json()) as { id: string };
  const sent = await request.post(`${api}/messages`, {
    headers: { ...admin, 'Idempotency-Key': `screens-${Date.now()}` },
    data: { loan_id: loan.id, channel: 'sms', template: ids.en, variables: { amount: '12500', due_date: '2026-12-05' } },
  });
  expect(sent.ok(), await sent.text()).toBeTruthy();
  const message = (await sent.json()) as { id: string; borrower_id: string };

  await login(page, USERS.tenantAdmin);
  await go(page, '/templates');
  // the starter set's reminder, and its Hindi version
  await page.getByRole('form', { name: 'Filter templates' }).getByLabel('Name').fill('reminder_formal_sms_en');
  await page.getByRole('row', { name: 'reminder_formal_sms_en v1' }).click();
  await page.getByTestId('language-switch').getByText('Hindi', { exact: true }).click();
  await expect(page.getByTestId('preview-text')).toContainText('₹');
  await shot(page, '32-templates-preview-hindi', false);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'New template' }).click();
  const editor = page.getByRole('dialog');
  await editor.getByRole('textbox', { name: /^Name/ }).fill('emi_due_whatsapp_ta');
  await editor.getByRole('textbox', { name: 'Channel' }).click();
  await page.getByRole('option', { name: 'WhatsApp' }).click();
  await editor.getByRole('textbox', { name: 'Language' }).click();
  await page.getByRole('option', { name: /Tamil/ }).click();
  await editor.getByRole('textbox', { name: /^Text/ }).fill('வணக்கம்! உங்கள் {{amount}} EMI {{due_date}} அன்று வருகிறது. - Demo NBFC');
  await editor.getByTestId('add-missing-variables').click();
  await expect(editor.getByTestId('preview-text')).toBeVisible();
  await shot(page, '33-template-editor', false);
  await page.keyboard.press('Escape');

  await go(page, '/messages');
  await expect(page.getByTestId(`message-${message.id}`)).toBeVisible();
  await shot(page, '34-messages');
  await page.getByTestId(`message-${message.id}`).click();
  await expect(page.getByTestId('message-timeline')).toBeVisible();
  await shot(page, '35-message-history', false);
  await page.keyboard.press('Escape');
  // the SMS account pointed at the built-in simulator with its sandbox kit, as an admin would type it
  const kit = (await (await request.get(`${baseURL()}/simulators/sms/sandbox-credentials`)).json()) as Record<string, string>;
  const configured = await request.put(`${api}/channels/sms`, {
    headers: admin,
    data: {
      base_url: kit.base_url,
      account_sid: kit.account_sid,
      api_key: kit.api_key,
      api_token: kit.api_token,
      webhook_secret: kit.webhook_secret,
      sender: 'DEMONB',
      entity_id: '1101234567890',
      sms_type: 'transactional',
      timeout_ms: 5000,
      unit_cost: '0.18',
    },
  });
  expect(configured.ok(), await configured.text()).toBeTruthy();
  await go(page, '/channels');
  await expect(page.getByTestId('configured-sms')).toContainText('Configured');
  await page.getByRole('button', { name: 'Test SMS' }).click();
  await expect(page.getByTestId('channel-test-result')).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, '36-channels');
  await go(page, `/borrowers/${message.borrower_id}`);
  await expect(page.getByTestId('standing-sms')).toBeVisible();
  await shot(page, '37-borrower');

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await login(phone, USERS.tenantAdmin);
  await go(phone, '/messages');
  await expect(phone.getByTestId(`message-${message.id}`)).toBeVisible();
  await shot(phone, '38-messages-phone', false);
  await go(phone, `/borrowers/${message.borrower_id}`);
  await expect(phone.getByTestId('standing-sms')).toBeVisible();
  await shot(phone, '39-borrower-phone', false);
  await go(phone, '/templates');
  await phone.getByRole('form', { name: 'Filter templates' }).getByLabel('Name').fill('emi_due_sms_en');
  await phone.getByRole('row', { name: 'emi_due_sms_en v1' }).click();
  await expect(phone.getByTestId('preview-text')).toBeVisible();
  await shot(phone, '40-template-phone', false);
  await phone.close();
});

test('@screens the borrower signs in by code and sees their loans, at phone width', async ({ browser, request }) => {
  const api = `${baseURL()}/api/v1/tenants/demo-nbfc`;
  const admin = { Authorization: `Bearer ${await apiToken(request, USERS.tenantAdmin)}` };
  const mobile = `9${String(Date.now()).slice(-9)}`;
  const booked = await request.post(`${api}/portfolio/loans`, {
    headers: admin,
    data: {
      external_ref: `PL-${mobile.slice(-6)}`,
      customer: { name: 'Kavya Rao', phone: mobile, state: 'Karnataka' },
      principal: '150000',
      annual_rate_pct: '16',
      tenure_months: 24,
      disbursed_on: new Date(Date.now() - 75 * 86_400_000).toISOString().slice(0, 10),
      purpose: 'consumer_durable',
    },
  });
  expect(booked.ok(), await booked.text()).toBeTruthy();
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await phone.goto(`${baseURL()}/borrower/sign-in?lender=demo-nbfc`);
  await phone.getByRole('textbox', { name: /Mobile number/ }).fill(`${mobile.slice(0, 5)} ${mobile.slice(5)}`);
  await phone.getByRole('button', { name: 'Send code' }).click();
  await expect(phone.getByTestId('code-sent')).toBeVisible();
  await shot(phone, '41-borrower-sign-in-phone', false);
  // the code as the lender's WhatsApp account (the built-in simulator) carried it
  const account = (await (await request.get(`${api}/channels/whatsapp`, { headers: admin })).json()) as { phone_number_id: string };
  let code = '';
  await expect
    .poll(async () => {
      const inbox = await request.get(`${baseURL()}/simulators/whatsapp/apps/${account.phone_number_id}/messages`);
      const items = ((await inbox.json()) as { items: { wa_id: string; template?: unknown }[] }).items;
      const mine = items.filter((m) => m.wa_id.endsWith(mobile)).pop();
      code = /"(\d{6})"/.exec(JSON.stringify(mine?.template ?? ''))?.[1] ?? '';
      return code;
    })
    .toMatch(/^\d{6}$/);
  await phone.getByRole('textbox').first().click();
  await phone.keyboard.type(code);
  await expect(phone.getByRole('heading', { level: 1, name: 'Your loans' })).toBeVisible();
  await shot(phone, '42-borrower-loans-phone', false);
  await phone.close();
});
