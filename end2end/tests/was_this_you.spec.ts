// "Was this you?" as a person meets it: the new-sign-in alert switch, the
// mail log, the alert mail and its "This wasn't me" page, named sessions,
// the invitation to add a passkey, and the sign-in page's passkey autofill.
//
// Every browser here comes from 127.0.0.1; the server trusts X-Forwarded-For
// from there (playwright.config.ts), so a context that sends the header signs
// in from "another network": the intruder, at 203.0.113.7.
import { test, expect, type Browser, type CDPSession, type Page } from '@playwright/test';
import { ANDROID_PHONE, PASSWORD, hydrated, signIn, signOut, signUp, uniqueName } from './helpers';
import { waitForMail } from './mail';

const SESSIONS = '/account/security/sessions';
const INTRUDER_IP = '203.0.113.7';
const ALERT = 'New sign-in to your Warden account';

const active = (p: Page) => p.getByRole('list', { name: 'Active sessions' }).getByRole('listitem');
const ended = (p: Page) => p.getByRole('list', { name: 'Ended sessions' }).getByRole('listitem');
const alertsPanel = (p: Page) => p.getByRole('region', { name: 'New-sign-in alerts' });
const mails = (p: Page) => p.getByRole('list', { name: 'Mails' }).getByRole('listitem');

async function openSessions(page: Page) {
  await page.goto(SESSIONS);
  await hydrated(page);
}

/** A fresh account, its address confirmed, signed in (its first sign-in,
 * which never alerts) in `page`. */
async function owner(page: Page, prefix: string): Promise<string> {
  const user = uniqueName(prefix);
  await signUp(page, user);
  await signIn(page, user);
  await hydrated(page);
  return user;
}

/** Signs in as `user` in a browser of its own from another network
 * (`ip`): no device cookie of the account, a /24 it never used. */
async function intruder(browser: Browser, user: string, ip = INTRUDER_IP): Promise<Page> {
  const context = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': ip } });
  const page = await context.newPage();
  await signIn(page, user);
  // Its page loaded: a session ended while its data is still on the way
  // sends it to sign in (without a reason: the cookie is already gone).
  await hydrated(page);
  await expect(active(page).filter({ hasText: 'This device' })).toContainText(ip);
  return page;
}

/** The "This wasn't me" link of the alert mailed to `user`. */
async function wasntMeLink(user: string): Promise<string> {
  const mail = await waitForMail(`${user}@example.com`, ALERT);
  expect(mail).toContain(`from IP address ${INTRUDER_IP}`);
  const link = /This wasn't me:\s*(https?:\/\/\S+\/wasnt-me\/open\?token=[A-Za-z0-9_-]+)/.exec(mail)?.[1];
  expect(link, mail).toBeTruthy();
  return link!;
}

test('turning alerts off asks for the password; turning them on does not', async ({ page }) => {
  const user = await owner(page, 'alarm');
  await openSessions(page);
  const panel = alertsPanel(page);
  await expect(panel.getByRole('heading', { name: 'New-sign-in alerts', level: 3 })).toBeVisible();
  await expect(panel).toContainText('Alerts are on.');

  // A wrong password changes nothing.
  await panel.getByLabel('Current password').fill('not the password');
  await panel.getByRole('button', { name: 'Turn off alerts' }).click();
  await expect(panel.getByRole('alert')).toContainText('Your current password is not right');
  await page.reload();
  await hydrated(page);
  await expect(panel).toContainText('Alerts are on.');

  await panel.getByLabel('Current password').fill(PASSWORD);
  await panel.getByRole('button', { name: 'Turn off alerts' }).click();
  await expect(panel).toContainText('Alerts are off.');
  await waitForMail(`${user}@example.com`, 'New-sign-in alerts were turned off');

  // Turning them on needs nothing: no password field on this side.
  await page.reload();
  await hydrated(page);
  await expect(panel).toContainText('Alerts are off.');
  await expect(panel.getByLabel('Current password')).toHaveCount(0);
  await panel.getByRole('button', { name: 'Turn on alerts' }).click();
  await expect(panel).toContainText('Alerts are on.');
  await waitForMail(`${user}@example.com`, 'New-sign-in alerts are on');

  // The password a minute ago opened this session's window: while it is
  // open, turning them off again asks for nothing more.
  await expect(panel.getByRole('button', { name: 'Turn off alerts' })).toBeVisible();
  await expect(panel.getByText(/Confirmed it's you for \d+ more minutes?\./)).toBeVisible();
  await expect(panel.getByLabel('Current password')).toHaveCount(0);
});

test('the mail log lists every mail about the account, addresses partly hidden', async ({ page, browser }) => {
  const user = await owner(page, 'maillog');
  await openSessions(page);
  await expect(page.getByRole('heading', { name: 'Mails', level: 3 })).toBeVisible();
  const confirmation = mails(page).filter({ hasText: 'Confirm your email address for Warden' });
  await expect(confirmation).toHaveCount(1);
  await expect(confirmation).toContainText(`to ${user[0]}…@example.com`);
  await expect(confirmation).toContainText(/Sent|Sending/);
  await expect(page.getByRole('list', { name: 'Mails' })).not.toContainText(`${user}@example.com`);

  // A sign-in from a new browser on a new network is mailed, and listed.
  const thief = await intruder(browser, user);
  await waitForMail(`${user}@example.com`, ALERT);
  await page.reload();
  await hydrated(page);
  const alert = mails(page).filter({ hasText: ALERT });
  await expect(alert).toHaveCount(1);
  await expect(alert).toContainText(`to ${user[0]}…@example.com`);
  await expect(alert).toContainText(/Sent|Sending/);
  // Newest first.
  await expect(mails(page).first()).toContainText(ALERT);
  await expect(page.getByRole('list', { name: 'Mails' })).not.toContainText(`${user}@example.com`);
  await thief.context().close();
});

test('a new sign-in is mailed; "This wasn\'t me" ends it at once, then everything', async ({ page, browser }) => {
  const user = await owner(page, 'victim');
  // The first sign-in after sign-up alerted nobody.
  await openSessions(page);
  await expect(mails(page).filter({ hasText: 'Confirm your email address for Warden' })).toHaveCount(1);
  await expect(mails(page).filter({ hasText: ALERT })).toHaveCount(0);
  const activity = page.getByRole('list', { name: 'Recent security activity' });
  await expect(activity).not.toContainText('Sign-in from a new browser and a new network');

  const thief = await intruder(browser, user);
  await expect(thief.getByText(user, { exact: true })).toBeVisible();
  await expect(active(thief)).toHaveCount(2);
  const link = await wasntMeLink(user);

  // The owner opens the link: no password asked, and the thief's session
  // is over already.
  await page.goto(link);
  await page.waitForURL((url) => url.pathname === '/wasnt-me' && url.search === '');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: "This wasn't me", level: 1 })).toBeVisible();
  const done = page.getByRole('status').filter({ hasText: 'The session of' });
  await expect(done).toContainText(/^Done\. The session of .+ from IP address 203\.0\.113\.7, signed in .+, was ended .+/);
  await expect(page.getByText('Nothing here asks for your password or a code.')).toBeVisible();
  await expect(page.locator('input[type="password"]')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'End every session and delete all API tokens' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Send me a password reset link' })).toBeVisible();

  await thief.reload();
  await expect(thief).toHaveURL(/\/signin/);
  await expect(thief.getByRole('status')).toContainText('Your session has ended');
  await thief.context().close();

  // A second click acts no more, and says so.
  await page.goto(link);
  await expect(page).toHaveURL(/\/wasnt-me\?again=1$/);
  await hydrated(page);
  await expect(page.getByRole('status').filter({ hasText: 'The session of' }))
    .toContainText('You already told us about this sign-in.');

  // The owner is still signed in; the list says why that session ended.
  await openSessions(page);
  await expect(active(page)).toHaveCount(1);
  await expect(ended(page).filter({ hasText: "You said this sign-in wasn't you" })).toHaveCount(1);
  await expect(activity.getByRole('listitem').filter({ hasText: 'Sign-in from a new browser and a new network' }))
    .toContainText('alert mailed');
  await expect(activity).toContainText('Sign-in reported as not you');

  // A reset link, to the confirmed address, once.
  await page.goto(link);
  await hydrated(page);
  await page.getByRole('button', { name: 'Send me a password reset link' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'A password reset link was sent to your confirmed address' }))
    .toBeVisible();
  await expect(page.getByRole('button', { name: 'Send me a password reset link' })).toHaveCount(0);
  await waitForMail(`${user}@example.com`, 'Reset your Warden password');

  // End every session, the owner's too.
  await page.getByRole('button', { name: 'End every session and delete all API tokens' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Every session was ended and every API token deleted' }))
    .toBeVisible();
  await expect(page.getByRole('button', { name: 'End every session and delete all API tokens' })).toHaveCount(0);
  await waitForMail(`${user}@example.com`, 'Every session of your Warden account was ended');
  await page.goto(SESSIONS);
  await expect(page).toHaveURL(/\/signin/);
});

test('naming a session heads its entry with the name', async ({ page, browser }) => {
  const user = await owner(page, 'namer');
  const phone = await (await browser.newContext({ userAgent: ANDROID_PHONE })).newPage();
  await signIn(phone, user);

  await openSessions(page);
  await expect(active(page)).toHaveCount(2);
  const phoneRow = active(page).filter({ hasNotText: 'This device' });
  await expect(phoneRow.getByRole('strong').first()).toHaveText('Chrome 120.0 on Android 14');
  await phoneRow.getByText('Name this session', { exact: true }).click();
  const name = phoneRow.getByRole('textbox', { name: 'Name for the session Chrome 120.0 on Android 14, 127.0.0.1' });
  await name.fill('Pixel in the kitchen');
  await phoneRow.getByRole('button', { name: 'Save name' }).click();
  await expect(phoneRow.getByText('Pixel in the kitchen — Chrome 120.0 on Android 14', { exact: true })).toBeVisible();
  await expect(phoneRow.getByText('Rename', { exact: true })).toBeVisible();

  // It stays, and the other browser sees it too.
  await page.reload();
  await hydrated(page);
  await expect(active(page).filter({ hasText: 'Pixel in the kitchen — Chrome 120.0 on Android 14' })).toHaveCount(1);
  await phone.goto(SESSIONS);
  await hydrated(phone);
  await expect(active(phone).filter({ hasText: 'This device' })).toContainText('Pixel in the kitchen — Chrome 120.0 on Android 14');
  await phone.context().close();
});

test('the invitation to add a passkey goes away for good with "Don\'t ask again"', async ({ page }) => {
  const user = await owner(page, 'invite');
  await openSessions(page);
  const invite = page.getByRole('note').filter({ hasText: 'Next time, sign in with your fingerprint' });
  await expect(invite).toContainText(
    'Next time, sign in with your fingerprint, face or screen lock instead of your password: add a passkey.',
  );
  await expect(invite.getByRole('link', { name: 'add a passkey' })).toHaveAttribute('href', '/account/security/2fa#security-keys');
  await invite.getByRole('button', { name: "Don't ask again" }).click();
  await expect(invite).toHaveCount(0);

  await page.reload();
  await hydrated(page);
  await expect(active(page)).toHaveCount(1);
  await expect(invite).toHaveCount(0);
  await signOut(page, user);
  await signIn(page, user);
  await hydrated(page);
  await expect(active(page)).toHaveCount(1);
  await expect(invite).toHaveCount(0);
});

/** A platform authenticator (fingerprint, face or screen lock) that holds
 * passkeys, Chromium's virtual one; it answers on its own while
 * `automaticPresenceSimulation` is on. */
async function platformKey(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function presence(key: { cdp: CDPSession; id: string }, enabled: boolean) {
  await key.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: key.id, enabled });
}

async function signCount(key: { cdp: CDPSession; id: string }): Promise<number> {
  const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.id });
  expect(credentials).toHaveLength(1);
  return credentials[0].signCount;
}

async function addPasskey(page: Page, name: string) {
  await page.goto('/account/security/2fa');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Add a security key or passkey' });
  await expect(form.getByRole('button', { name: 'Add security key' })).toBeEnabled();
  await form.getByLabel('Name of the key').fill(name);
  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByLabel(/^Passkey/).check();
  await form.getByRole('button', { name: 'Add security key' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Security key “${name}” added` })).toBeVisible();
}

const autofillStarted = (page: Page) =>
  page.waitForResponse((r) => new URL(r.url()).pathname === '/_fn/start_passkey_autofill');

/** A signed-out sign-in page whose username field offers the account's
 * passkey (conditional mediation), the request pending: the authenticator
 * does not answer on its own while it is asked. */
async function signInPageWithAutofill(page: Page, user: string, key: { cdp: CDPSession; id: string }) {
  await presence(key, false);
  const started = autofillStarted(page);
  await signOut(page, user);
  await hydrated(page);
  expect((await started).status()).toBe(200);
  const login = page.getByLabel('Username or email');
  await expect(login).toHaveAttribute('autocomplete', 'username webauthn');
  expect(await page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable())).toBe(true);
  return login;
}

// In this Chromium (156), a conditional request is answered by the virtual
// authenticator as soon as it is made while automaticPresenceSimulation is
// on: as if the person picked the passkey in the username field's autofill
// at once. While it is off the request stays pending (focusing the field or
// pressing ArrowDown opens nothing headless, and turning presence on later
// does not answer a request already made).
test('a passkey offered in the username field signs in without a password', async ({ page }) => {
  const user = await owner(page, 'autofill');
  const key = await platformKey(page);
  await addPasskey(page, 'This laptop');
  const before = await signCount(key);

  // Nobody picks the passkey yet: the request waits, and nothing happens.
  const login = await signInPageWithAutofill(page, user, key);
  await page.waitForTimeout(500);
  await expect(page).toHaveURL(/\/signin\?reason=signed_out$/);

  await expect(login).toHaveValue('');
  await expect(page.getByLabel('Password')).toHaveValue('');

  // The person picks the passkey: the next request is answered. Neither
  // field was ever typed in.
  await presence(key, true);
  const started = autofillStarted(page);
  const finished = page.waitForResponse((r) => new URL(r.url()).pathname === '/_fn/finish_passkey_sign_in');
  await page.reload();
  expect((await started).status()).toBe(200);
  expect((await finished).status()).toBe(200);
  await page.waitForURL((url) => url.pathname === SESSIONS);
  await hydrated(page);
  await expect(page.getByText(user, { exact: true })).toBeVisible();
  await expect(active(page).filter({ hasText: 'This device' })).toHaveCount(1);
  expect(await signCount(key)).toBeGreaterThan(before);
  // With a passkey the invitation to add one is gone.
  await expect(page.getByRole('note').filter({ hasText: 'add a passkey' })).toHaveCount(0);
});

// While the username field's autofill request (conditional mediation) is
// pending, the button still works: the page aborts the autofill request
// before it asks the browser again (a browser holds one request at a
// time; without the abort Chromium refuses the button's with "A request is
// already pending").
test('"Sign in with a passkey" works while the username field offers passkeys', async ({ page }) => {
  const user = await owner(page, 'button');
  const key = await platformKey(page);
  await addPasskey(page, 'This laptop');

  await signInPageWithAutofill(page, user, key);
  await presence(key, true);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  // Signed in, or refused: whichever comes first, it must be the first.
  await expect(page.getByRole('alert').or(page.getByText(user, { exact: true }))).toBeVisible();
  expect(await page.getByRole('alert').allTextContents()).toEqual([]);
  await page.waitForURL((url) => url.pathname === SESSIONS);
});
