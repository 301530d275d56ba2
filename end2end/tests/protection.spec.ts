// Protection and Reporting as a person uses them: set a PIN, open an
// earlier range, enter the PIN, see the chart, lock again; wrong PINs; then
// the same with JavaScript off. One account (sign-ups per IP are limited).
import { test, expect } from '@playwright/test';
import { PASSWORD, hydrated, signIn, signUp, uniqueName } from './helpers';
import { audit } from './axe';

test.setTimeout(180_000);

const PIN = '40719';

test('set a PIN, unlock previous days with it, lock now; wrong PINs; then without JavaScript', async ({ page, browser }) => {
  const user = uniqueName('rep');
  await signUp(page, user);
  await signIn(page, user);
  await hydrated(page);

  // Reporting is in the main navigation; an empty account offers sample data.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reporting' }).click();
  await expect(page.getByRole('heading', { name: 'Reporting', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Add sample data' }).click();
  await expect(page.getByRole('heading', { name: /^Today/ })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('link', { name: 'Yesterday' }).click();
  await expect(page.getByRole('heading', { name: /^Yesterday/ })).toBeVisible();
  await expect(page.locator('figure.chart svg rect').first()).toBeVisible();

  // Set the PIN on Protection: password, PIN and its confirmation.
  await page.goto('/account/security/protection');
  await hydrated(page);
  await expect(page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'Protection' })).toHaveAttribute('aria-current', 'page');
  const toggle = page.getByRole('switch', { name: 'Enable PIN' });
  await expect(toggle).toHaveAttribute('aria-checked', 'false');
  await toggle.click();
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('PIN', { exact: true }).fill('1234');
  await page.getByLabel('Confirm PIN').fill('1234');
  await page.getByRole('button', { name: 'Enable PIN' }).click();
  await expect(page.getByRole('alert')).toContainText('straight run');
  // The password was right: for the next minutes this session is not asked again.
  await expect(page.getByText(/Confirmed it's you for \d+ more minutes?\./)).toBeVisible();
  await expect(page.getByLabel('Current password')).toHaveCount(0);
  await page.getByLabel('PIN', { exact: true }).fill(PIN);
  await page.getByLabel('Confirm PIN').fill(PIN);
  await page.getByRole('button', { name: 'Enable PIN' }).click();
  await expect(page.getByText('A PIN protects the reports of previous days')).toBeVisible();

  // Yesterday now asks for the PIN; today does not.
  await page.goto('/reports?range=yesterday');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Previous days are protected' })).toBeVisible();
  await expect(page.locator('figure.chart')).toHaveCount(0);
  await page.getByLabel('PIN', { exact: true }).fill('51907');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('alert')).toContainText('That PIN is not right');
  await audit(page, '/reports locked by the PIN, after a wrong PIN');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByLabel('PIN', { exact: true }).fill(PIN);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('heading', { name: /^Yesterday/ })).toBeVisible();
  await expect(page.locator('figure.chart svg rect').first()).toBeVisible();
  await expect(page.getByText(/Unlocked until \d\d:\d\d/)).toBeVisible();
  await expect(page.getByRole('link', { name: 'Export CSV' })).toBeVisible();
  // The unlock holds across ranges: the last 30 days, a bar group per day.
  await page.getByRole('link', { name: 'Last 30 days' }).click();
  await expect(page.getByRole('heading', { name: /^Last 30 days/ })).toBeVisible();
  await expect(page.locator('figure.chart svg g')).toHaveCount(30);
  if (process.env.WARDEN_SCREENSHOTS) {
    // `WARDEN_SCREENSHOTS=../docs npx playwright test protection` refreshes the README's picture.
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.screenshot({ path: `${process.env.WARDEN_SCREENSHOTS}/reporting.png`, fullPage: true });
  }

  await page.getByRole('button', { name: 'Lock now' }).click();
  await expect(page.getByRole('heading', { name: 'Previous days are protected' })).toBeVisible();
  await page.getByRole('link', { name: 'Today', exact: true }).click();
  await expect(page.getByRole('heading', { name: /^Today/ })).toBeVisible();

  // The same account in a browser with JavaScript off.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await signIn(plain, user, false);
  await plain.goto('/reports?range=7d');
  await expect(plain.getByRole('heading', { name: 'Previous days are protected' })).toBeVisible();
  await plain.getByLabel('PIN', { exact: true }).fill('51907');
  await plain.getByRole('button', { name: 'Unlock' }).click();
  await expect(plain.getByRole('alert')).toContainText('That PIN is not right');
  await plain.getByLabel('PIN', { exact: true }).fill(PIN);
  await plain.getByRole('button', { name: 'Unlock' }).click();
  await expect(plain.getByRole('heading', { name: /^Last 7 days/ })).toBeVisible();
  await expect(plain.locator('figure.chart svg rect').first()).toBeVisible();
  await plain.getByRole('button', { name: 'Lock now' }).click();
  await expect(plain.getByRole('heading', { name: 'Previous days are protected' })).toBeVisible();
  // The unlock was that session's only: the first browser is still locked.
  await page.goto('/reports?range=7d');
  await expect(page.getByRole('heading', { name: 'Previous days are protected' })).toBeVisible();
  await context.close();
});
