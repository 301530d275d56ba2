// Times on the person's own clock: the zone the browser reports at sign-up
// is the account's, every page renders its times there from the first byte,
// and the account menu changes it.
import { test, expect } from '@playwright/test';
import { signUp, signIn, hydrated, uniqueName } from './helpers';

test.use({ timezoneId: 'Asia/Kolkata' });

test("sign-up takes the browser's zone; times show on that clock; the account menu changes it", async ({ page, browser }) => {
  const user = uniqueName('tz');
  await signUp(page, user);
  await signIn(page, user);

  const note = page.locator('.zone-note');
  await expect(note).toContainText('Times are on your clock (Asia/Kolkata)');
  const stamps = page.locator('time[datetime]');
  await expect(stamps.first()).toBeVisible();
  for (const d of await stamps.evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime') ?? ''))) {
    expect(d, 'India is 05:30 ahead of UTC').toMatch(/\+05:30$/);
  }
  await expect(stamps.first()).toHaveAttribute('title', /Asia\/Kolkata \(UTC\+05:30\)$/);
  await expect(page.getByText('just now').first()).toBeVisible();

  // The server's first byte already says it: the same page without JavaScript.
  const nojs = await browser.newContext({ javaScriptEnabled: false, timezoneId: 'America/Chicago' });
  await nojs.addCookies(await page.context().cookies());
  const raw = await nojs.newPage();
  await raw.goto('/account/security/sessions');
  await expect(raw.locator('.zone-note')).toContainText('(Asia/Kolkata)');
  await nojs.close();

  // Account menu → Time zone → Europe/Berlin.
  await page.getByText(user, { exact: true }).click();
  await page.getByRole('link', { name: 'Time zone' }).click();
  await expect(page).toHaveURL(/\/account\/time-zone$/);
  await hydrated(page);
  await page.getByLabel('Time zone', { exact: true }).selectOption('Europe/Berlin');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Saved');
  await page.goto('/account/security/sessions');
  await expect(note).toContainText('(Europe/Berlin)');
  await expect(stamps.first()).toHaveAttribute('datetime', /\+0[12]:00$/);
});
