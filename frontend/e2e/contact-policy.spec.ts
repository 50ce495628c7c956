// The contact policy page: a tenant admin tightens RBI's window, and a looser one is refused at the field.
import { expect, test } from '@playwright/test';
import { login, requireRoutes, USERS } from './support';

test('a tenant admin tightens the contact window, it is kept, and 07:00 is refused at the field', async ({ page, request }) => {
  await requireRoutes(request, 'GET /api/v1/tenants/{tenant}/contact-policy', 'PUT /api/v1/tenants/{tenant}/contact-policy');
  await login(page, USERS.tenantAdmin);
  await page.getByRole('link', { name: 'Contact policy' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Contact policy' })).toBeVisible();
  await expect(page.getByTestId('rbi-window')).toHaveText('RBI limit 08:00–19:00');

  await page.getByLabel('From').fill('09:00');
  await page.getByLabel('Until').fill('18:00');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByTestId('last-saved')).toContainText(`saved by ${USERS.tenantAdmin}`);

  await page.reload();
  await expect(page.getByLabel('From')).toHaveValue('09:00');
  await expect(page.getByLabel('Until')).toHaveValue('18:00');
  await expect(page.getByText('Defaults (RBI)')).toHaveCount(0);

  await page.getByLabel('From').fill('07:00');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText(/may not be earlier than 08:00/)).toBeVisible();
  await expect(page.getByLabel('From')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('alert').filter({ hasText: 'The policy was not saved' })).toBeVisible();

  // nothing was saved: the kept window is still 09:00–18:00
  await page.reload();
  await expect(page.getByLabel('From')).toHaveValue('09:00');
});
