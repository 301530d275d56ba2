// Two-factor authentication as a person sets it up: the QR code is read off
// the screen like a phone camera would (jsQR on a screenshot), and codes come
// from an independent TOTP library (otpauth), not from Warden.
import { test, expect, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import * as OTPAuth from 'otpauth';
import { PASSWORD, hydrated, signIn, signOut, signUp, uniqueName } from './helpers';
import { audit } from './axe';

test.setTimeout(180_000);

async function readQr(page: Page): Promise<string> {
  const png = PNG.sync.read(await page.locator('.qr svg').screenshot());
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!found) throw new Error('no QR code could be read from the page');
  return found.data;
}

/** A code from a 30-second step newer than `after`, so no code is used twice. */
async function freshCode(totp: OTPAuth.TOTP, after: number): Promise<{ code: string; step: number }> {
  for (;;) {
    const step = Math.floor(Date.now() / 1000 / 30);
    if (step > after) return { code: totp.generate(), step };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

test('enable 2FA by scanning the QR code, sign in with a code and a recovery code, then disable it', async ({ page }) => {
  const user = uniqueName('tfa');
  await signUp(page, user);
  await signIn(page, user);
  await hydrated(page);

  await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'Two-Factor Auth' }).click();
  await expect(page.getByRole('heading', { name: 'Two-Factor Auth' })).toBeVisible();
  const toggle = page.getByRole('switch', { name: 'Enable 2FA' });
  await expect(toggle).toHaveAttribute('aria-checked', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  // Starting asks for the password first: a borrowed session cannot plant a second factor.
  const method = page.getByRole('group', { name: 'Method' });
  await method.getByLabel('Current password').fill('not my password');
  await method.getByRole('button', { name: 'Authenticator App' }).click();
  await expect(page.getByRole('alert')).toContainText('Your current password is not right');
  await expect(page.locator('.qr svg')).toHaveCount(0);
  await method.getByLabel('Current password').fill(PASSWORD);
  await method.getByRole('button', { name: 'Authenticator App' }).click();
  await expect(page.locator('.qr svg')).toBeVisible();

  const uri = await readQr(page);
  expect(uri).toMatch(new RegExp(`^otpauth://totp/Warden:${user}\\?`));
  const totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
  expect(totp.issuer).toBe('Warden');
  expect(totp.digits).toBe(6);
  expect(totp.period).toBe(30);
  // The same key is there as text for typing by hand.
  await page.getByText("Can't scan the code?").click();
  await expect(page.locator('code.key')).toHaveText(totp.secret.base32.replace(/(.{4})(?=.)/g, '$1 '));

  // A wrong code leaves 2FA off.
  const wrong = totp.generate() === '000000' ? '111111' : '000000';
  await page.getByLabel('Six-digit code').fill(wrong);
  await page.getByRole('button', { name: 'Enable', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');

  let used = await freshCode(totp, 0);
  // Turning 2FA on signs out other devices unless the box is cleared.
  await expect(page.locator('.enrol').getByLabel('Sign out of other devices')).toBeChecked();
  await page.getByLabel('Six-digit code').fill(used.code);
  await page.getByRole('button', { name: 'Enable', exact: true }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.allTextContents()).map((c) => c.trim());
  await expect(page.getByRole('button', { name: 'Copy' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Download' })).toHaveAttribute('download', 'warden-recovery-codes.txt');
  await expect(page.getByText('Two-factor authentication is on')).toBeVisible();
  await expect(page.getByText('Recovery codes left: 10')).toBeVisible();

  // Sign out, sign in: the password alone is not enough.
  await signOut(page, user);
  await page.getByLabel('Username or email').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/signin\/2fa/);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await hydrated(page);
  await audit(page, '/signin/2fa');
  await page.emulateMedia({ colorScheme: 'light' });
  used = await freshCode(totp, used.step);
  await page.getByLabel('Six-digit code').fill(used.code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL((url) => url.pathname === '/account/security/sessions');

  // And once with a recovery code instead.
  await signOut(page, user);
  await page.getByLabel('Username or email').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/signin\/2fa/);
  await page.getByRole('link', { name: 'Use a recovery code instead' }).click();
  await audit(page, '/signin/2fa, recovery code');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByLabel('Recovery code').fill(recovery[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL((url) => url.pathname === '/account/security/sessions');

  // Disable: password and a current code.
  await page.goto('/account/security/2fa');
  await hydrated(page);
  await expect(page.getByText('Recovery codes left: 9')).toBeVisible();
  const disable = page.getByRole('region', { name: 'Disable 2FA' });
  await disable.getByLabel('Current password').fill(PASSWORD);
  used = await freshCode(totp, used.step);
  await disable.getByLabel('Authentication code or recovery code').fill(used.code);
  await expect(disable.getByLabel('Sign out of other devices')).toBeChecked();
  await disable.getByRole('button', { name: 'Disable 2FA' }).click();
  await expect(page.getByText('Two-factor authentication is off.')).toBeVisible();

  await signOut(page, user);
  await signIn(page, user); // password only again
});
