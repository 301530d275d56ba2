// Times on the person's own clock: the zone the browser reports at sign-up
// is the account's, every page renders its times there from the first byte,
// and the account menu changes it.
import { test, expect } from '@playwright/test';
import { signUp, signIn, hydrated, uniqueName } from './helpers';

test.use({ timezoneId: 'Asia/Tokyo' });

test("sign-up takes the browser's zone; times show on that clock; the account menu changes it", async ({ page, browser }) => {
  const user = uniqueName('tz');
  await signUp(page, user);
  await signIn(page, user);

  const note = page.locator('.zone-note');
  await expect(note).toContainText('Times are on your clock (Asia/Tokyo)');
  const stamps = page.locator('time[datetime]');
  await expect(stamps.first()).toBeVisible();
  for (const d of await stamps.evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime') ?? ''))) {
    expect(d, 'Tokyo is 09:00 ahead of UTC').toMatch(/\+09:00$/);
  }
  await expect(stamps.first()).toHaveAttribute('title', /Asia\/Tokyo \(UTC\+09:00\)$/);
  await expect(page.getByText('just now').first()).toBeVisible();

  // The server's first byte already says it: the same page without JavaScript.
  const nojs = await browser.newContext({ javaScriptEnabled: false, timezoneId: 'America/Chicago' });
  await nojs.addCookies(await page.context().cookies());
  const raw = await nojs.newPage();
  await raw.goto('/account/security/sessions');
  await expect(raw.locator('.zone-note')).toContainText('(Asia/Tokyo)');
  await nojs.close();

  // Account menu → Time zone → Europe/Berlin.
  await page.getByText(user, { exact: true }).click();
  await page.locator('.profile-menu').getByRole('link', { name: 'Time zone', exact: true }).click();
  await expect(page).toHaveURL(/\/account\/time-zone$/);
  await hydrated(page);
  await page.getByRole('combobox', { name: 'Time zone' }).selectOption('Europe/Berlin');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Saved');
  await page.goto('/account/security/sessions');
  await expect(note).toContainText('(Europe/Berlin)');
  await expect(stamps.first()).toHaveAttribute('datetime', /\+0[12]:00$/);
});
