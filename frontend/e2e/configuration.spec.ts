// Risk configuration pages beyond the journey: policy rule errors, the model registry, audit filters.
import { expect, test } from '@playwright/test';
import { apiToken, baseURL, chooseTenant, login, requireRoutes, USERS } from './support';

test('a knock-out rule that does not compile is refused with the ZEN error on that rule', async ({ page, request }) => {
  await requireRoutes(request, 'GET /api/v1/tenants/{tenant}/policy', 'PUT /api/v1/tenants/{tenant}/policy');
  const token = await apiToken(request, USERS.platformAnalyst);
  const current = await request.get(`${baseURL()}/api/v1/tenants/demo-nbfc/policy`, { headers: { Authorization: `Bearer ${token}` } });
  test.skip(!current.ok(), `backend: GET …/policy answers ${current.status()} for the demo tenant`);
  await login(page, USERS.platformAnalyst);
  await chooseTenant(page, 'Demo NBFC Ltd');
  await page.getByRole('link', { name: 'Policy', exact: true }).click();
  await page.getByRole('button', { name: 'Add rule' }).click();
  const rule = page.getByTestId(/^rule-/).last();
  await rule.getByLabel('Name').fill('Too young');
  await rule.getByLabel('When (ZEN expression)').fill('applicant.age <');
  await rule.getByLabel('Reason').fill('Applicant under 21');
  await page.getByRole('button', { name: 'Save as new version' }).click();
  await expect(rule.getByText(/Unexpected|does not compile|expression/i).first()).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'The policy was not saved' })).toBeVisible();
});

test('the model registry lists the demo champion and opens its card', async ({ page, request }) => {
  await requireRoutes(request, 'GET /api/v1/tenants/{tenant}/models', 'GET /api/v1/tenants/{tenant}/models/{model_id}');
  await login(page, USERS.tenantAdmin);
  await page.getByRole('link', { name: 'Models' }).click();
  const row = page.getByRole('row', { name: /champion/ }).first();
  await expect(row).toBeVisible();
  await row.getByRole('link').click();
  await expect(page.getByRole('heading', { name: /Model v\d+/ })).toBeVisible();
  await expect(page.getByText('Calibration by decile')).toBeVisible();
  await expect(page.getByRole('table', { name: /Fairness by/ }).first()).toBeVisible();
});

test('the audit log filters by action and shows the verified chain', async ({ page }) => {
  await login(page, USERS.tenantAdmin);
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByTestId('chain-status')).toContainText('Audit chain intact');
  await page.getByLabel('Action starts with').fill('auth.login');
  const table = page.getByRole('table', { name: 'Audit events' });
  // The filter applies after a short debounce: wait until every listed action matches.
  await expect
    .poll(async () => {
      const actions = await table.locator('tbody code').allTextContents();
      return actions.length > 0 && actions.every((a) => a.startsWith('auth.login'));
    })
    .toBe(true);
});
