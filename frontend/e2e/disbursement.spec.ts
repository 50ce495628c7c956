// An approved application to a booked loan in the portal: start the disbursement, download the KFS
// (a real PDF), record the borrower's acceptance, the borrower signs at the e-sign simulator, the saga
// completes, and the loan page shows its schedule and its events.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { apiToken, approvedApplication, baseURL, login, requireRoutes, signAtEsp, signRequestOf, USERS, waitForBooking } from './support';

test.setTimeout(240_000);

test('an approved application becomes a booked loan through the disbursement saga', async ({ page, request }) => {
  await requireRoutes(
    request,
    'GET /api/v1/tenants/{tenant}/applications/{application_id}/disbursement',
    'GET /api/v1/tenants/{tenant}/portfolio/loans/{loan_id}/events',
  );
  const token = await apiToken(request, USERS.tenantAdmin);
  const applicationId = await approvedApplication(request, token);

  await login(page, USERS.tenantAdmin);
  await page.goto(`${baseURL()}/applications/${applicationId}`);
  await page.getByRole('button', { name: 'Start disbursement' }).click();
  await expect(page.getByTestId('saga-step-sanction-status')).toHaveText('completed', { timeout: 30_000 });
  await expect(page.getByTestId('saga-step-kfs-status')).toHaveText('waiting', { timeout: 30_000 });
  await expect(page.getByTestId('kfs-figures')).toContainText('APR');

  // the KFS downloads as a real PDF, through the signed-in session
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download KFS (PDF)' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^kfs-.+\.pdf$/);
  expect(
    readFileSync(await download.path())
      .subarray(0, 4)
      .toString('latin1'),
  ).toBe('%PDF');

  await page.getByRole('button', { name: 'Record the borrower’s KFS acceptance' }).click();
  await expect(page.getByTestId('saga-step-kfs-status')).toHaveText('completed', { timeout: 30_000 });
  await expect(page.getByTestId('saga-step-esign-status')).toHaveText('waiting', { timeout: 30_000 });
  await signAtEsp(request, await signRequestOf(request, token, applicationId));

  await waitForBooking(page);
  for (const step of ['sanction', 'kfs', 'esign', 'mandate', 'disburse', 'book']) {
    await expect(page.getByTestId(`saga-step-${step}-status`)).toHaveText('completed');
  }
  await expect(page.getByRole('button', { name: /Cancel loan/ })).toHaveCount(0);

  await page.getByRole('link', { name: /Open the loan/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: /^Loan / })).toBeVisible();
  const schedule = page.getByRole('table', { name: 'Repayment schedule' });
  await expect.poll(() => schedule.getByRole('row').count()).toBeGreaterThan(2); // the header and the instalments
  await expect(page.getByTestId('loan-events')).toContainText('Loan disbursed');
  await expect(page.getByTestId('loan-events')).toContainText('loan.disbursed');
  await expect(page.getByTestId('loan-badges')).toContainText('0 DPD');
});
