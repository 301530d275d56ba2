// axe-core over every page of the app (app/src/routes.rs), in the light and
// the dark colour scheme, signed out and signed in, and in the states a
// page changes into (the profile menu open, 2FA's method form, Reporting
// empty and with figures, a new token's dialog). WCAG 2.0 and 2.1 A and AA
// plus axe's best practices; no rule is switched off.
import { test, expect, type Page } from '@playwright/test';
import { audit } from './axe';
import { PASSWORD, GUEST_PAGES, PUBLIC_PAGES, SIGNED_IN_PAGES, hydrated, signIn, signUp, uniqueName } from './helpers';
import { waitForMail } from './mail';

async function visit(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}

test.setTimeout(180_000);

test('signed out: every page has no axe violation, light and dark', async ({ page }) => {
  for (const path of [...GUEST_PAGES, ...PUBLIC_PAGES]) {
    await visit(page, path);
    await audit(page, `${path} (signed out)`);
  }
  // A refused sign-in shows its error line.
  await visit(page, '/signin');
  await page.getByLabel('Username or email').fill('nobody-here');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await audit(page, '/signin with an error');
});

test('signed in: every page has no axe violation, light and dark', async ({ page }) => {
  const user = uniqueName('axe');
  const email = `${user}@example.com`;
  await signUp(page, user, true, false);
  await signIn(page, user);

  // Until the address is confirmed, Login Security shows a banner; the
  // mailed link opens a page with one button.
  await visit(page, '/account/security/sessions');
  await expect(page.getByText('Confirm your email address:')).toBeVisible();
  await audit(page, '/account/security/sessions with the email banner');
  const mail = await waitForMail(email, 'Confirm your email address for Warden');
  await page.goto(/https?:\/\/\S+\/email\/verify\/open\?token=[A-Za-z0-9_-]+/.exec(mail)![0]);
  await page.waitForURL((url) => url.pathname === '/email/verify' && url.search === '');
  await hydrated(page);
  await audit(page, '/email/verify with a link to confirm');
  await page.getByRole('button', { name: 'Confirm email address' }).click();
  await expect(page.getByRole('status')).toContainText('Your email address is confirmed');

  // Reporting of an empty account offers sample data; then it has figures.
  await visit(page, '/reports');
  await expect(page.getByRole('button', { name: 'Add sample data' })).toBeVisible();
  await audit(page, '/reports, empty');
  await page.getByRole('button', { name: 'Add sample data' }).click();
  await expect(page.getByRole('heading', { name: /^Today/ })).toBeVisible({ timeout: 30_000 });

  // The pages that differ signed in: every account page, and the header
  // (its menu) on the public ones.
  for (const path of [...SIGNED_IN_PAGES, '/', '/no-such-page']) {
    await visit(page, path);
    await audit(page, `${path} (signed in)`);
  }
  // The profile menu, open.
  await visit(page, '/account/security/sessions');
  await page.getByLabel(`Profile menu for ${user}`).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await audit(page, 'the profile menu, open');
  // Reporting's table per day, open.
  await visit(page, '/reports?range=7d');
  await page.getByText('Calls per day as a table').click();
  await audit(page, '/reports?range=7d with the day table open');

  // A new token's dialog (shown once), then the list with it.
  await visit(page, '/account/security/api-tokens');
  const form = page.getByRole('region', { name: 'Create a token' });
  await form.getByLabel('Token name').fill('axe');
  await form.getByLabel('Username').fill(user);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await audit(page, "the new token's dialog");
  await page.getByRole('button', { name: 'Close' }).click();
  await audit(page, '/account/security/api-tokens with a token');

  // Signed out again: a reset link's page, with its form.
  await page.context().clearCookies();
  await visit(page, '/password/forgot');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account exists for that address');
  await audit(page, '/password/forgot after sending');
  const reset = await waitForMail(email, 'Reset your Warden password');
  await page.goto(/http:\/\/\S+\/password\/reset\/open\?token=[A-Za-z0-9_-]+/.exec(reset)![0]);
  await page.waitForURL((url) => url.pathname === '/password/reset');
  await hydrated(page);
  await expect(page.getByText(`For the account ${user}`)).toBeVisible();
  await audit(page, '/password/reset with a working link');
});
