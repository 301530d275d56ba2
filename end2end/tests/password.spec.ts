// The Password page and "Forgot your password?", in Chromium, with and
// without JavaScript. The reset link is read from the mail the server wrote.
import { test, expect, type Page } from '@playwright/test';
import { PASSWORD, hydrated, signIn, signOut, signUp, uniqueName } from './helpers';
import { waitForMail } from './mail';

const NEW_PASSWORD = 'lantern orbit meadow 42';

async function openPasswordTab(page: Page) {
  await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'Password', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Password', exact: true })).toBeVisible();
}

test('change the password, sign out, and only the new one works', async ({ page }) => {
  const user = uniqueName('pw');
  await signUp(page, user);
  await signIn(page, user);
  await hydrated(page);
  await openPasswordTab(page);
  await expect(page).toHaveURL(/\/account\/security\/password$/);

  await page.getByLabel('Current password').fill(PASSWORD);
  // The meter reads as the person types: a leaked password is called out...
  await page.getByLabel('New password', { exact: true }).pressSequentially('iloveyou1', { delay: 20 });
  await expect(page.locator('#strength')).toContainText(/Strength: (Very weak|Weak)/);
  await expect(page.locator('#strength')).toContainText('too common');
  // ...and a good one is not.
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await expect(page.locator('#strength')).toContainText(/Strength: (Strong|Very strong|Fair)/);
  await expect(page.locator('#strength')).not.toContainText('too common');
  await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  await expect(page.getByLabel('Sign out of other devices')).toBeChecked();
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password has been changed.');
  await expect(page.getByText('Last changed')).toBeVisible();
  await expect(page.getByLabel('Current password')).toHaveValue('');

  await signOut(page, user);
  await page.getByLabel('Username or email').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('Invalid username or password');
  await signIn(page, user, true, NEW_PASSWORD);

  const notice = await waitForMail(`${user}@example.com`, 'Your Warden password was changed');
  expect(notice).toContain('/account/security/sessions');
});

test('forgot password: the emailed link sets a new password, then sign in with it', async ({ page }) => {
  const user = uniqueName('fp');
  // Signing up ends on the page that confirmed the address (reset links go
  // only to a confirmed one); "Forgot your password?" is on the sign-in page.
  await signUp(page, user);
  await page.goto('/signin');
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/password\/forgot$/);
  await hydrated(page);
  await page.getByLabel('Email').fill(`${user}@example.com`);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account exists for that address');

  const mail = await waitForMail(`${user}@example.com`, 'Reset your Warden password');
  const link = /http:\/\/\S+\/password\/reset\/open\?token=[A-Za-z0-9_-]+/.exec(mail)?.[0];
  expect(link, mail).toBeTruthy();
  await page.goto(link!);
  await page.waitForURL((url) => url.pathname === '/password/reset');
  expect(page.url()).not.toContain('token');
  await hydrated(page);
  await expect(page.getByText(`For the account ${user}`)).toBeVisible();
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page).toHaveURL(/\/signin\?reason=password_reset/);
  await expect(page.getByRole('status')).toContainText('Your password has been changed');
  await signIn(page, user, true, NEW_PASSWORD);

  // The link worked once.
  await page.goto(link!);
  await expect(page.getByRole('alert')).toContainText('invalid or has expired');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the change form posts and redirects', async ({ page }) => {
    const user = uniqueName('pwnojs');
    await signUp(page, user, false);
    await signIn(page, user, false);
    await page.goto('/account/security/password');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page).toHaveURL(/\/account\/security\/password\?changed=0/);
    await expect(page.getByRole('status')).toContainText('Your password has been changed.');

    await page.context().clearCookies();
    await page.goto('/signin');
    await page.getByLabel('Username or email').fill(user);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert')).toContainText('Invalid username or password');
    await signIn(page, user, false, NEW_PASSWORD);
  });
});
