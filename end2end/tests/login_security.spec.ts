// Login Security as a person uses it, in two browsers at once.
import { test, expect, type Page } from '@playwright/test';
import { ANDROID_PHONE, PASSWORD, hydrated, signIn, signUp, uniqueName } from './helpers';

const active = (p: Page) => p.getByRole('list', { name: 'Active sessions' }).getByRole('listitem');
const ended = (p: Page) => p.getByRole('list', { name: 'Ended sessions' }).getByRole('listitem');

test('two browsers: see both, end one, then log out of all devices', async ({ browser }) => {
  const user = uniqueName('ann');
  const desk = await (await browser.newContext()).newPage();
  await signUp(desk, user);
  await signIn(desk, user);
  await hydrated(desk);

  // Profile menu (top right, shows the username) → Account → Security.
  await desk.getByText(user, { exact: true }).click();
  await desk.locator('.profile-menu').getByRole('link', { name: 'Security', exact: true }).click();
  await expect(desk.getByRole('heading', { name: 'Security', level: 1 })).toBeVisible();
  await expect(desk.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'Login Security' }))
    .toHaveAttribute('aria-current', 'page');
  await expect(active(desk)).toHaveCount(1);
  await expect(active(desk).first()).toContainText('This device');
  await expect(active(desk).first()).toContainText('Desktop');
  await expect(active(desk).first()).toContainText('127.0.0.1');

  // A second browser: a phone.
  const phoneCtx = await browser.newContext({ userAgent: ANDROID_PHONE });
  const phone = await phoneCtx.newPage();
  await signIn(phone, `${user}@example.com`);

  await desk.reload();
  await hydrated(desk);
  await expect(active(desk)).toHaveCount(2);
  const phoneRow = active(desk).filter({ hasNotText: 'This device' });
  await expect(phoneRow).toContainText('Mobile');
  await expect(phoneRow).toContainText('Android');
  await expect(phoneRow).toContainText('Chrome 120.0');

  // End the phone's session from the desktop, without a page reload:
  // the password first (ending a session asks for one factor), once.
  await desk.evaluate(() => ((window as any).__noReload = true));
  await expect(phoneRow.getByRole('button', { name: /^End session/ })).toBeDisabled();
  const confirm = desk.getByRole('region', { name: "Confirm it's you" });
  await confirm.getByLabel('Current password').fill('not the password');
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(confirm.getByRole('alert')).toContainText('Your current password is not right');
  await confirm.getByLabel('Current password').fill(PASSWORD);
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  // (Each form that asks for the step-up says so: the first is the panel's.)
  await expect(desk.getByText("Confirmed it's you for 10 more minutes.").first()).toBeVisible();
  await phoneRow.getByRole('button', { name: /^End session/ }).click();
  await expect(active(desk)).toHaveCount(1);
  await expect(ended(desk).first()).toContainText('Ended from another session');
  expect(await desk.evaluate(() => (window as any).__noReload)).toBe(true);

  // The phone is signed out on its next navigation.
  await phone.goto('/account/security/sessions');
  await expect(phone).toHaveURL(/\/signin/);
  await expect(phone.getByRole('status')).toContainText('Your session has ended');

  // Sign in again on the phone, then log out of all devices from the desktop.
  await signIn(phone, user);
  await desk.reload();
  await hydrated(desk);
  await expect(active(desk)).toHaveCount(2);
  await desk.evaluate(() => ((window as any).__noReload = true));
  await desk.getByRole('link', { name: 'Log out of all devices' }).click();
  await expect(desk.getByRole('heading', { name: 'Log out of all devices?' })).toBeVisible();
  await expect(desk.getByText('Change your password first')).toBeVisible();
  // Confirmed a moment ago on Login Security: not asked again.
  await expect(desk.getByText(/Confirmed it's you for \d+ more minutes?\./)).toBeVisible();
  await desk.getByRole('button', { name: 'Log out of all devices' }).click();
  await expect(desk).toHaveURL(/\/signin\?reason=logged_out_all/);
  await expect(desk.getByRole('status')).toContainText('You have been logged out of all devices');
  expect(await desk.evaluate(() => (window as any).__noReload)).toBe(true);
  await expect(desk.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();

  await phone.goto('/account/security/sessions');
  await expect(phone).toHaveURL(/\/signin/);

  // After signing in again, the list shows what ended and why.
  await signIn(desk, user);
  await expect(active(desk)).toHaveCount(1);
  const outAll = ended(desk).filter({ hasText: 'Logged out of all devices' });
  await expect(outAll).toHaveCount(2);
  await expect(ended(desk).filter({ hasText: 'Ended from another session' })).toHaveCount(1);
});

test('a wrong password gets one generic answer', async ({ page }) => {
  await page.goto('/signin');
  await hydrated(page);
  await page.getByLabel('Username or email').fill('nobody-at-all');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid username or password.');
  await expect(page).toHaveURL(/\/signin$/);
});
