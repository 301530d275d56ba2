// The same path with JavaScript off: plain forms that post and redirect.
import { test, expect, type Page } from '@playwright/test';
import { ANDROID_PHONE, PASSWORD, signIn, signUp, uniqueName } from './helpers';

test.use({ javaScriptEnabled: false });

const active = (p: Page) => p.getByRole('list', { name: 'Active sessions' }).getByRole('listitem');
const ended = (p: Page) => p.getByRole('list', { name: 'Ended sessions' }).getByRole('listitem');

test('sign in, end a session and log out of all devices without JavaScript', async ({ browser }) => {
  const user = uniqueName('nojs');
  const desk = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await signUp(desk, user, false);
  await signIn(desk, user, false);
  await expect(active(desk).first()).toContainText('This device');

  const phone = await (await browser.newContext({ javaScriptEnabled: false, userAgent: ANDROID_PHONE })).newPage();
  await signIn(phone, user, false);

  await desk.reload();
  await expect(active(desk)).toHaveCount(2);
  // Ending a session asks for the password first: a plain form too.
  await desk.getByRole('region', { name: "Confirm it's you" }).getByLabel('Current password').fill(PASSWORD);
  await desk.getByRole('button', { name: 'Confirm', exact: true }).click();
  await expect(desk.getByText("Confirmed it's you for 10 more minutes.")).toBeVisible();
  await active(desk).filter({ hasNotText: 'This device' }).getByRole('button', { name: /^End session/ }).click();
  await expect(active(desk)).toHaveCount(1);
  await expect(ended(desk).first()).toContainText('Ended from another session');
  await phone.goto('/account/security/sessions');
  await expect(phone).toHaveURL(/\/signin/);

  await signIn(phone, user, false);
  await desk.getByRole('link', { name: 'Log out of all devices' }).click();
  await desk.getByRole('button', { name: 'Log out of all devices' }).click();
  await expect(desk).toHaveURL(/\/signin\?reason=logged_out_all/);
  await expect(desk.getByRole('status')).toContainText('You have been logged out of all devices');
  await phone.goto('/account/security/sessions');
  await expect(phone).toHaveURL(/\/signin/);

  await signIn(desk, user, false);
  await expect(ended(desk).filter({ hasText: 'Logged out of all devices' })).toHaveCount(2);
});

test('a wrong password is reported in the page without JavaScript', async ({ page }) => {
  await page.goto('/signin');
  await page.getByLabel('Username or email').fill('nobody-at-all');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid username or password.');
});
