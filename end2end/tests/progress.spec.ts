// A button that waits for the server says so and cannot be pressed twice:
// disabled and aria-busy while its request is under way. The server's answer
// is held back (page.route) so the waiting can be seen.
import { test, expect, type Page } from '@playwright/test';
import { PASSWORD, hydrated, signIn, signUp, uniqueName } from './helpers';

test.setTimeout(120_000);

/** Holds every request to `pattern` until the returned function is called. */
async function holdRequests(page: Page, pattern: string | RegExp) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const seen: string[] = [];
  await page.route(pattern, async (route) => {
    seen.push(route.request().url());
    await released;
    await route.continue();
  });
  return { release, seen };
}

test('buttons, sample data and the CSV export show that they are working', async ({ page }) => {
  const user = uniqueName('busy');
  await signUp(page, user, true, false);

  // Sign in: the button is busy until the server answers.
  await page.goto('/signin');
  await hydrated(page);
  await page.getByLabel('Username or email').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  const held = await holdRequests(page, '**/_fn/sign_in*');
  const signInButton = page.getByRole('button', { name: 'Sign in', exact: true });
  await signInButton.click();
  await expect(signInButton).toBeDisabled();
  await expect(signInButton).toHaveAttribute('aria-busy', 'true');
  // A second press does nothing while the first is under way.
  await signInButton.click({ force: true });
  held.release();
  await page.waitForURL((url) => url.pathname === '/account/security/sessions');
  expect(held.seen).toHaveLength(1);
  await page.unrouteAll();

  // Password: a wrong current password, held, then refused.
  await page.goto('/account/security/password');
  await hydrated(page);
  const change = page.getByRole('button', { name: 'Change password' });
  await expect(change).toBeEnabled();
  await expect(change).not.toHaveAttribute('aria-busy', 'true');
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password', { exact: true }).fill('lantern orbit meadow 42');
  await page.getByLabel('Confirm new password').fill('lantern orbit meadow 42');
  const changing = await holdRequests(page, '**/_fn/change_password*');
  await change.click();
  await expect(change).toBeDisabled();
  await expect(change).toHaveAttribute('aria-busy', 'true');
  changing.release();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(change).toBeEnabled();
  await expect(change).not.toHaveAttribute('aria-busy', 'true');
  await page.unrouteAll();

  // Reporting: sample data shows a progress bar and a live status line.
  await page.goto('/reports');
  await hydrated(page);
  const adding = await holdRequests(page, '**/_fn/add_sample_data*');
  await page.getByRole('button', { name: 'Add sample data' }).click();
  const busy = page.getByRole('button', { name: /Adding sample data/ });
  await expect(busy).toBeDisabled();
  await expect(busy).toHaveAttribute('aria-busy', 'true');
  await expect(page.getByRole('progressbar', { name: 'Adding sample data' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Adding three campaigns' })).toBeVisible();
  adding.release();
  await expect(page.getByRole('heading', { name: /^Today/ })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('progressbar')).toHaveCount(0);
  await page.unrouteAll();

  // Export CSV: the link is marked busy and a progress bar shows until the
  // file is ready; then the browser saves it.
  const exporting = await holdRequests(page, '**/reports/export.csv*');
  const exportLink = page.getByRole('link', { name: 'Export CSV' });
  await exportLink.click();
  await expect(exportLink).toHaveAttribute('aria-disabled', 'true');
  await expect(exportLink).toHaveAttribute('aria-busy', 'true');
  await expect(page.getByRole('progressbar', { name: 'Exporting the CSV' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Preparing the CSV' })).toBeVisible();
  const download = page.waitForEvent('download');
  exporting.release();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.csv$/);
  const body = await (await file.createReadStream()).toArray();
  expect(Buffer.concat(body).toString('utf8').split('\n')[0]).toMatch(/campaign/i);
  await expect(page.getByRole('status').filter({ hasText: 'The CSV is ready' })).toBeVisible();
  await expect(exportLink).not.toHaveAttribute('aria-disabled', 'true');
  await expect(page.getByRole('progressbar')).toHaveCount(0);
  expect(exporting.seen).toHaveLength(1);
});
