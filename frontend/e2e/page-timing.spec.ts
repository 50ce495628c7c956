// How long each portal page of the demo takes, as a lender's staff meets it: from navigation until the
// page's heading is shown and no part of it is still loading. Printed, never asserted (CI machines vary);
// the target is under a second per page on the demo book (issue #11).
import { expect, test, type Page } from '@playwright/test';
import { baseURL, login, USERS } from './support';

const PAGES = [
  '/score',
  '/batches',
  '/applications',
  '/monitoring',
  '/portfolio',
  '/bureaus',
  '/models',
  '/policy',
  '/users',
  '/api-keys',
  '/audit',
];

/** Milliseconds from navigation until the page's main content is visible and nothing in it is loading. */
async function timeToContent(page: Page, path: string): Promise<number> {
  const started = Date.now();
  await page.goto(`${baseURL()}${path}`);
  const main = page.locator('main');
  await expect(main.locator('h1').first()).toBeVisible({ timeout: 30_000 });
  await expect(main.getByRole('status')).toHaveCount(0, { timeout: 30_000 }); // every Loading… panel has gone
  return Date.now() - started;
}

test('time to main content of every page, tenant admin', async ({ page }) => {
  test.setTimeout(180_000);
  await login(page, USERS.tenantAdmin);
  const rows: string[] = [];
  for (const path of PAGES) {
    const ms = await timeToContent(page, path);
    rows.push(`${path.padEnd(14)} ${String(ms).padStart(6)} ms`);
  }
  // A second visit of the heaviest pages (answers from the server's report cache and the portal's query cache).
  for (const path of ['/monitoring', '/portfolio']) {
    const ms = await timeToContent(page, path);
    rows.push(`${(path + ' again').padEnd(14)} ${String(ms).padStart(6)} ms`);
  }
  console.log(`page timing (tenant admin, demo book)\n${rows.join('\n')}`);
});

test("time to the platform analyst's first screen", async ({ page }) => {
  const started = Date.now();
  await login(page, USERS.platformAnalyst);
  await expect(page.getByTestId('tenant-switcher')).not.toHaveAttribute('placeholder', 'Loading tenants…');
  const ms = Date.now() - started;
  const monitoring = await timeToContent(page, '/monitoring');
  console.log(`page timing (platform analyst)\nsign-in to tenant list ${ms} ms\n/monitoring            ${monitoring} ms`);
});
