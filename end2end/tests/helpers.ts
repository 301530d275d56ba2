import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { waitForMail } from './mail';

export const PASSWORD = 'correct horse battery staple';
export const ANDROID_PHONE =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';

export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** Waits until the page's own view is hydrated, its forms wired up (skipped
 * when JavaScript is off). */
export async function hydrated(page: Page, js = true) {
  if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 30_000 });
}

/** Signs up `username` with the address `<username>@example.com` and, unless
 * `confirm` is false, confirms the address through the mailed link: reset
 * links, notices and signing in by email need a confirmed address. */
export async function signUp(page: Page, username: string, js = true, confirm = true) {
  await page.goto('/signup');
  await hydrated(page, js);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/signin\?reason=signed_up/);
  await expect(page.getByRole('status')).toContainText('Your account is ready');
  if (confirm) await confirmEmail(page, `${username}@example.com`, js);
}

/** Opens the verification link mailed to `email` and presses Confirm. */
export async function confirmEmail(page: Page, email: string, js = true) {
  const mail = await waitForMail(email, 'Confirm your email address for Warden');
  const link = /https?:\/\/\S+\/email\/verify\/open\?token=[A-Za-z0-9_-]+/.exec(mail)?.[0];
  expect(link, mail).toBeTruthy();
  await page.goto(link!);
  // The token is traded for a cookie: the page's URL holds none.
  await page.waitForURL((url) => url.pathname === '/email/verify' && url.search === '');
  await hydrated(page, js);
  await page.getByRole('button', { name: 'Confirm email address' }).click();
  await expect(page).toHaveURL(/\/email\/verify\?confirmed=1/);
  await expect(page.getByRole('status')).toContainText('Your email address is confirmed');
}

export async function signIn(page: Page, login: string, js = true, password = PASSWORD) {
  if (!/\/signin/.test(page.url())) await page.goto('/signin');
  await hydrated(page, js);
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/account/security/sessions');
}

export async function signOut(page: Page, user: string) {
  await page.getByText(user, { exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin\?reason=signed_out/);
}

/** Signs up a new account (address left unconfirmed, so the banner shows)
 * in a context of its own and returns that context's signed-in cookies,
 * for specs that look at many pages as one person. */
export async function signedInState(browser: Browser, prefix: string): Promise<{ user: string; state: StorageState }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const user = uniqueName(prefix);
  await signUp(page, user, true, false);
  await signIn(page, user);
  const state = await context.storageState();
  await context.close();
  return { user, state };
}

export type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

/** Every page of the app (app/src/routes.rs), as a person reaches it. */
export const PUBLIC_PAGES = ['/', '/password/forgot', '/password/reset', '/email/verify', '/no-such-page'];
export const GUEST_PAGES = ['/signin', '/signup'];
export const SECURITY_TABS = [
  '/account/security/sessions',
  '/account/security/password',
  '/account/security/2fa',
  '/account/security/protection',
  '/account/security/api-tokens',
];
export const SIGNED_IN_PAGES = [
  ...SECURITY_TABS,
  '/account/security/2fa?enable=1',
  '/account/security/sessions/log-out-all',
  '/account/security/sessions/webhooks',
  '/reports',
  '/reports?range=30d',
  '/account/time-zone',
];
