// Regenerates the README's screenshots in docs/ against a fresh server:
// Login Security (light and dark), Password with the strength meter,
// Reporting unlocked, and the Security page on a 375 px phone.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { join } from 'node:path';
import { PASSWORD, hydrated, signIn, signUp } from '../tests/helpers';

const docs = join(__dirname, '..', '..', 'docs');
const MAC_SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15';
const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const PIN = '40719';

/** Signs `user` in from a browser of its own, so Login Security lists it. */
async function signInElsewhere(browser: Browser, user: string, userAgent: string) {
  const context = await browser.newContext({ userAgent, timezoneId: 'Europe/Berlin' });
  await signIn(await context.newPage(), user);
  await context.close();
}

async function shot(page: Page, name: string, fullPage = false) {
  // No caret or focus ring blinking into the picture, no spinner mid-turn.
  await page.evaluate(() => {
    window.getSelection()?.removeAllRanges();
    return document.fonts.ready;
  });
  await page.screenshot({ path: join(docs, name), fullPage, animations: 'disabled', caret: 'hide' });
}

test('README screenshots', async ({ browser }) => {
  // A fresh server: the name is free.
  const user = 'maria';
  const context = await browser.newContext({ userAgent: MAC_SAFARI, timezoneId: 'Europe/Berlin', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await signUp(page, user);
  await signInElsewhere(browser, user, WINDOWS_CHROME);
  await signInElsewhere(browser, user, IPHONE);
  await signIn(page, user);
  await hydrated(page);
  await expect(page.getByText('Active sessions (3)')).toBeVisible();
  await shot(page, 'login-security.png');

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.reload();
  await hydrated(page);
  await shot(page, 'login-security-dark.png');
  await page.emulateMedia({ colorScheme: 'light' });

  // Password, a weak new password being typed.
  await page.setViewportSize({ width: 1100, height: 860 });
  await page.goto('/account/security/password');
  await hydrated(page);
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password', { exact: true }).pressSequentially(`${user}2026!`, { delay: 20 });
  await expect(page.locator('#strength')).toContainText('Strength:');
  await shot(page, 'password.png');

  // Reporting: sample data, a PIN, unlocked, the last 30 days.
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.goto('/reports');
  await hydrated(page);
  await page.getByRole('button', { name: 'Add sample data' }).click();
  await expect(page.getByRole('heading', { name: /^Today/ })).toBeVisible({ timeout: 30_000 });
  await page.goto('/account/security/protection');
  await hydrated(page);
  await page.getByRole('switch', { name: 'Enable PIN' }).click();
  await page.getByLabel('Account password').fill(PASSWORD);
  await page.getByLabel('PIN', { exact: true }).fill(PIN);
  await page.getByLabel('Confirm PIN').fill(PIN);
  await page.getByRole('button', { name: 'Enable PIN' }).click();
  await expect(page.getByText('A PIN protects the reports of previous days')).toBeVisible();
  await page.goto('/reports?range=30d');
  await hydrated(page);
  await page.getByLabel('PIN', { exact: true }).fill(PIN);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('heading', { name: /^Last 30 days/ })).toBeVisible();
  await shot(page, 'reporting.png', true);

  // The Security page on a 375 px phone: the tab bar wraps.
  const phone = await browser.newContext({ userAgent: IPHONE, viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await phone.addCookies(await context.cookies());
  const p = await phone.newPage();
  await p.goto('/account/security/sessions');
  await hydrated(p);
  await expect(p.getByRole('navigation', { name: 'Security', exact: true })).toBeVisible();
  await shot(p, 'phone-375.png');
  await phone.close();
  await context.close();
});
