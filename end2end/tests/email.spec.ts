// Confirming the email address: until then Login Security says so, and the
// address signs nobody in; the mailed link's page confirms it.
import { test, expect } from '@playwright/test';
import { confirmEmail, hydrated, signIn, signUp, uniqueName } from './helpers';

test('an unconfirmed address shows a banner on Login Security until its link is confirmed', async ({ page }) => {
  const user = uniqueName('eva');
  await signUp(page, user, true, false);
  await signIn(page, user);
  await hydrated(page);
  const banner = page.getByRole('status').filter({ hasText: 'Confirm your email address' });
  await expect(banner).toContainText(`we sent a link to ${user[0]}…@example.com`);
  await expect(banner.getByRole('button', { name: 'Send the link again' })).toBeVisible();

  await confirmEmail(page, `${user}@example.com`);
  await page.goto('/account/security/sessions');
  await hydrated(page);
  await expect(page.getByRole('list', { name: 'Recent security activity' })).toContainText('Email address confirmed');
  // (The mail log still lists the confirmation mail by its subject.)
  await expect(page.getByRole('status').filter({ hasText: 'Confirm your email address' })).toHaveCount(0);
});
