// Security keys and passkeys as a person uses them, with Chromium's virtual
// authenticator (the DevTools WebAuthn domain): the browser really runs
// navigator.credentials.create()/get() against Warden's options, and the
// authenticator signs with keys Warden never sees.
import { test, expect, type Page, type CDPSession } from '@playwright/test';
import { PASSWORD, hydrated, signIn, signOut, signUp, uniqueName } from './helpers';
import { waitForMail } from './mail';
import { audit } from './axe';

test.setTimeout(180_000);

/** A USB key that can hold passkeys and checks a PIN, answering on its own. */
async function virtualKey(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function credentials(key: { cdp: CDPSession; id: string }) {
  const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.id });
  return credentials;
}

async function addKey(page: Page, name: string, passkey: boolean) {
  await page.goto('/account/security/2fa');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Add a security key or passkey' });
  await expect(form.getByRole('button', { name: 'Add security key' })).toBeEnabled();
  await form.getByLabel('Name of the key').fill(name);
  await form.getByLabel('Current password').fill(PASSWORD);
  if (passkey) await form.getByLabel(/^Passkey/).check();
  await form.getByRole('button', { name: 'Add security key' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Security key “${name}” added` })).toBeVisible();
}

test('add a security key, sign in with it as the second step, then remove it', async ({ page }) => {
  const user = uniqueName('key');
  await signUp(page, user);
  await signIn(page, user);
  const key = await virtualKey(page);

  // A wrong password adds nothing and never reaches the key.
  await page.goto('/account/security/2fa');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Add a security key or passkey' });
  await form.getByLabel('Name of the key').fill('YubiKey 5');
  await form.getByLabel('Current password').fill('not my password');
  await form.getByRole('button', { name: 'Add security key' }).click();
  await expect(form.getByRole('alert')).toContainText('Your current password is not right');
  expect(await credentials(key)).toHaveLength(0);

  await addKey(page, 'YubiKey 5', false);
  // The first second factor comes with recovery codes.
  await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
  const list = page.getByRole('list', { name: 'Your security keys' });
  await expect(list.getByRole('listitem')).toHaveCount(1);
  await expect(list).toContainText('YubiKey 5');
  await expect(list).toContainText('Never used to sign in');
  await expect(page.getByText('Two-factor authentication is on')).toBeVisible();
  const made = await credentials(key);
  expect(made).toHaveLength(1);
  expect(made[0].rpId).toBe('localhost');
  expect(made[0].isResidentCredential).toBe(false);
  await waitForMail(`${user}@example.com`, 'A security key was added to your Warden account');
  await audit(page, '/account/security/2fa with a key');
  await page.emulateMedia({ colorScheme: 'light' });

  // Signing in asks for the key after the password.
  await signOut(page, user);
  await page.getByLabel('Username or email').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/signin\/2fa/);
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Use a recovery code instead' })).toBeVisible();
  await audit(page, '/signin/2fa by key');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByRole('button', { name: 'Use security key' }).click();
  await page.waitForURL((url) => url.pathname === '/account/security/sessions');
  expect((await credentials(key))[0].signCount).toBeGreaterThan(0);

  await page.goto('/account/security/2fa');
  await hydrated(page);
  await expect(list).toContainText('Last used');
  await expect(list).not.toContainText('Never used to sign in');

  // The PIN's settings ask for the second factor, and the key gives it.
  await page.goto('/account/security/protection?enable=1');
  await hydrated(page);
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('PIN', { exact: true }).fill('40719');
  await page.getByLabel('Confirm PIN').fill('40719');
  await page.getByRole('button', { name: 'Use security key instead' }).click();
  await expect(page.getByText('A PIN protects the reports of previous days')).toBeVisible();

  // Removing asks for the password and the key, but this session confirmed
  // both minutes ago (the PIN): it is not asked again. The last factor
  // gone, 2FA is off.
  await page.goto('/account/security/2fa');
  await hydrated(page);
  await list.getByText('Remove', { exact: true }).click();
  await expect(list.getByText(/Confirmed it's you for \d+ more minutes?\./)).toBeVisible();
  await expect(list.getByLabel('Current password')).toHaveCount(0);
  await list.getByRole('button', { name: 'Remove YubiKey 5' }).click();
  await expect(page.getByText('No security keys yet.')).toBeVisible();
  await expect(page.getByText('Two-factor authentication is off.')).toBeVisible();
  await waitForMail(`${user}@example.com`, 'A security key was removed from your Warden account');
  await signOut(page, user);
  await signIn(page, user); // the password alone again
});

test('a passkey signs in without a password; a plain security key does not', async ({ page }) => {
  const user = uniqueName('passkey');
  await signUp(page, user);
  await signIn(page, user);
  const key = await virtualKey(page);

  await addKey(page, 'Laptop', true);
  await expect(page.getByRole('list', { name: 'Your security keys' })).toContainText('Passkey');
  const made = await credentials(key);
  expect(made).toHaveLength(1);
  expect(made[0].isResidentCredential).toBe(true);

  await signOut(page, user);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForURL((url) => url.pathname === '/account/security/sessions');
  await expect(page.getByText(user, { exact: true })).toBeVisible();
  await waitForMail(`${user}@example.com`, 'A passkey was added to your Warden account');

  // Someone else's browser with only a non-discoverable key for this
  // account gets nowhere without the password.
  const other = uniqueName('plain');
  await signOut(page, user);
  await signUp(page, other);
  await signIn(page, other);
  await key.cdp.send('WebAuthn.clearCredentials', { authenticatorId: key.id });
  await addKey(page, 'Plain key', false);
  await signOut(page, other);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);
});
