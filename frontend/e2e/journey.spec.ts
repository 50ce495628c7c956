// The journey of issue 6: onboard a lender, configure its bureaus, score, batch, monitor, and the
// negative paths. Serial: each step builds on the previous one.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { baseURL, batchCsv, chooseTenant, login, logout, PASSWORD, requireRoutes, USERS } from './support';

const stamp = Date.now().toString(36);
const TENANT = { name: `Sahyadri Finance ${stamp}`, slug: `sahyadri-${stamp}` };
const ADMIN = { name: 'Asha Kulkarni', email: `asha.${stamp}@sahyadri.example`, password: 'Sahyadri-Ledger-2026' };
const OFFICER = { name: 'Vikram Patil', email: `vikram.${stamp}@sahyadri.example`, password: 'Field-Visit-2026!' };
const SAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'sample_application.json');

test.describe.configure({ mode: 'serial' });

test('1. the platform admin creates a tenant with its admin', async ({ page }) => {
  await login(page, USERS.platformAdmin);
  await page.getByRole('link', { name: 'Tenants' }).click();
  await page.getByRole('button', { name: 'New tenant' }).click();
  const dialog = page.getByRole('dialog', { name: 'New tenant' });
  // The form validates before anything is sent.
  await dialog.getByRole('button', { name: 'Create tenant' }).click();
  await expect(dialog.getByText('Enter the lender’s name')).toBeVisible();
  await dialog.getByLabel(/^Name/).fill(TENANT.name);
  await dialog.getByLabel('Slug').fill(TENANT.slug);
  await dialog.getByLabel('Admin name').fill(ADMIN.name);
  await dialog.getByLabel('Admin e-mail').fill(ADMIN.email);
  await dialog.getByLabel('Admin password').fill('short');
  await dialog.getByRole('button', { name: 'Create tenant' }).click();
  await expect(dialog.getByText('Use 12–128 characters')).toBeVisible();
  await dialog.getByLabel('Admin password').fill(ADMIN.password);
  await dialog.getByRole('button', { name: 'Create tenant' }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByRole('row', { name: new RegExp(TENANT.slug) });
  await expect(row).toContainText('active');

  // Its admin signs in and adds the field officer who will score applications.
  await logout(page);
  await login(page, ADMIN.email, ADMIN.password);
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('button', { name: 'New user' }).click();
  const form = page.getByRole('dialog');
  await form.getByLabel(/^Name/).fill(OFFICER.name);
  await form.getByLabel('E-mail').fill(OFFICER.email);
  await form.getByRole('textbox', { name: 'Role' }).click();
  await page.getByRole('option', { name: /Field officer/ }).click();
  await form.getByLabel('Initial password').fill(OFFICER.password);
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('row', { name: new RegExp(OFFICER.email) })).toContainText('field officer');
});

test('2. the platform risk analyst configures CIBIL, Experian and CRIF; only redacted secrets are visible', async ({ page, request }) => {
  await requireRoutes(
    request,
    'GET /api/v1/tenants/{tenant}/bureaus',
    'PUT /api/v1/tenants/{tenant}/bureaus/{bureau}',
    'POST /api/v1/tenants/{tenant}/bureaus/{bureau}/test',
  );
  const kits: Record<string, { credentials: Record<string, string> }> = {};
  for (const b of ['cibil', 'experian', 'crif']) {
    const r = await request.get(`${baseURL()}/simulators/${b}/sandbox-credentials`);
    expect(r.ok()).toBeTruthy();
    kits[b] = await r.json();
  }
  await login(page, USERS.platformAnalyst);
  await chooseTenant(page, TENANT.name);
  await page.getByRole('link', { name: 'Bureau integrations' }).click();
  for (const [bureau, label] of [
    ['cibil', 'TransUnion CIBIL'],
    ['experian', 'Experian'],
    ['crif', 'CRIF High Mark'],
  ] as const) {
    const card = page.getByTestId(`bureau-${bureau}`);
    await card.getByRole('button', { name: `Configure ${label}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Use simulator sandbox kit' }).click();
    await expect(dialog.getByLabel('Member id')).not.toHaveValue('');
    await expect(dialog.getByLabel('Enabled for scoring')).toBeChecked(); // a first configuration is meant to be used
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    await expect(card.getByTestId(`status-${bureau}`)).toContainText('On');
    await expect(card.getByText(/^[•*]+/).first()).toBeVisible();
    await card.getByRole('button', { name: `Test connection to ${label}` }).click();
    await expect(card.getByTestId(`test-result-${bureau}`)).toContainText('Connected in');
  }
  // After saving, no secret is on the page — only its last characters.
  await page.reload();
  await expect(page.getByTestId('bureau-crif')).toBeVisible();
  const html = await page.content();
  for (const kit of Object.values(kits)) {
    for (const secret of Object.values(kit.credentials)) expect(html).not.toContain(secret);
  }
});

test('3. the tenant’s field officer scores a sample JSON application, then a CSV batch', async ({ page, request }) => {
  await requireRoutes(request, 'POST /api/v1/tenants/{tenant}/applications');
  await login(page, OFFICER.email, OFFICER.password);
  await page.getByRole('link', { name: 'Score an application' }).click();
  await page.getByRole('tab', { name: 'Paste or upload JSON' }).click();
  await page.getByTestId('json-dropzone').locator('input[type=file]').setInputFiles(SAMPLE);
  await expect(page.getByLabel('Full name')).toHaveValue('Asha Verma');
  await page.getByRole('button', { name: 'Score application' }).click();
  const result = page.getByTestId('decision-result');
  await expect(result).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('score-value')).toHaveText(/^\d{1,3}$/);
  await expect(page.getByTestId('decision-badge')).toHaveText(/Approve|Review|Reject/);
  await expect(page.getByTestId('reasons').locator('li')).toHaveCount(3);
  await expect(page.getByTestId('shap-chart').locator('[data-direction]').first()).toBeVisible();
  await expect(page.getByTestId('bureau-status')).toContainText('Bureau data pulled live');
  await expect(page.getByTestId('decision-inputs')).toContainText('₹3,00,000');

  await requireRoutes(
    request,
    'POST /api/v1/tenants/{tenant}/batches/preview',
    'POST /api/v1/tenants/{tenant}/batches',
    'GET /api/v1/tenants/{tenant}/batches/{batch_id}',
    'GET /api/v1/tenants/{tenant}/batches/{batch_id}/results.csv',
  );
  await page.getByRole('link', { name: 'Batch scoring' }).click();
  await page
    .getByTestId('batch-dropzone')
    .locator('input[type=file]')
    .setInputFiles({ name: 'applications.csv', mimeType: 'text/csv', buffer: Buffer.from(batchCsv()) });
  const preview = page.getByTestId('batch-preview');
  await expect(preview).toBeVisible();
  await expect(preview.locator('tr[data-error="true"]')).toHaveCount(1);
  await page.getByRole('button', { name: 'Submit batch' }).click();
  const status = page.getByTestId('batch-status');
  await expect(status).toContainText('succeeded', { timeout: 60_000 });
  const download = page.waitForEvent('download');
  await status.getByRole('button', { name: 'Download results.csv' }).click();
  const file = await download;
  const csv = readFileSync((await file.path())!, 'utf8')
    .trim()
    .split(/\r?\n/);
  expect(csv[0]).toContain('decision');
  expect(csv).toHaveLength(1 + 5);
  // the batch stays reachable after leaving the page: the history lists it with its results
  await page.reload();
  const history = page.getByTestId('batch-history');
  await expect(history).toContainText('applications.csv');
  await expect(history.getByRole('button', { name: 'Download the results of applications.csv' })).toBeEnabled();
});

test('4. the risk analyst sees the delinquency trend and the embedded dashboard', async ({ page, request }) => {
  await requireRoutes(
    request,
    'GET /api/v1/tenants/{tenant}/monitoring/delinquency',
    'POST /api/v1/tenants/{tenant}/dashboards/embed-token',
  );
  await login(page, USERS.platformAnalyst);
  await chooseTenant(page, 'Demo NBFC Ltd');
  await page.getByRole('link', { name: 'Monitoring' }).click();
  await expect(page.getByTestId('delinquency-chart').locator('.recharts-line').first()).toBeVisible();
  const iframe = page.getByTestId('dashboard-iframe');
  await expect(iframe).toBeVisible();
  const frame = page.frameLocator('[data-testid="dashboard-iframe"]');
  await expect(frame.locator('body')).toContainText(/delinquen/i, { timeout: 20_000 });
});

test('5a. a field officer sees no configuration navigation and a clear message on a configuration URL', async ({ page }) => {
  await login(page, USERS.officer);
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  await expect(nav.getByRole('link', { name: 'Score an application' })).toBeVisible();
  for (const name of ['Bureau integrations', 'Models', 'Policy', 'Users', 'Tenants', 'Audit log', 'Monitoring']) {
    await expect(nav.getByRole('link', { name })).toHaveCount(0);
  }
  for (const path of ['/bureaus', '/policy', '/models', '/users']) {
    await page.goto(`${baseURL()}${path}`);
    await expect(page.getByTestId('forbidden')).toContainText('You do not have access to this page');
  }
});

test('5b. a wrong password shows an error and no session', async ({ page }) => {
  await page.goto(`${baseURL()}/login`);
  await page.getByLabel('E-mail').fill(USERS.auditor);
  await page.getByLabel('Password').fill(`${PASSWORD}-wrong`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toContainText(/incorrect|invalid|wrong/i);
  await expect(page.getByTestId('user-menu')).toHaveCount(0);
});
