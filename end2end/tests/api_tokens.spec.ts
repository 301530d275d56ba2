// API Access Tokens as a person uses them: a wrong password first, then a
// token shown once in a dialog (Copy), only its prefix after closing, its
// usage, quota and networks once it has called the API, Regenerate with an
// overlap (the new secret shown once, the old one listed until it stops),
// and Delete with its confirmation, after which the API refuses both
// secrets. One account (sign-ups per IP are limited).
import { test, expect } from '@playwright/test';
import { PASSWORD, hydrated, signIn, signUp, uniqueName } from './helpers';

test.setTimeout(180_000);

const TAB = '/account/security/api-tokens';

test('create a token (shown once), see its use, delete it with a confirmation', async ({ page, context, request }) => {
  const user = uniqueName('tok');
  await signUp(page, user);
  await signIn(page, user);
  await hydrated(page);

  // The tab sits in the Security tab bar, after Protection.
  await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'API Access Tokens' }).click();
  await expect(page).toHaveURL(new RegExp(`${TAB}$`));
  await expect(page.getByRole('heading', { name: 'API Access Tokens', level: 2 })).toBeVisible();
  await expect(page.getByText('You have no API tokens yet.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'API reference' })).toHaveAttribute('href', '/api/v1/docs');
  await expect(page.getByText(/60 requests per minute/)).toBeVisible();

  const form = page.getByRole('region', { name: 'Create a token' });
  const fill = async (password: string) => {
    await form.getByLabel('Token name').fill('CI deploy');
    await form.getByLabel('Username').fill(user);
    await form.getByLabel('Password').fill(password);
    await form.getByLabel('Expiry').selectOption('30');
    await form.getByLabel('Read and write').check();
    await form.getByRole('button', { name: 'Create token' }).click();
  };
  // A wrong password is refused, and nothing is made.
  await fill('not my password');
  await expect(form.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByText('You have no API tokens yet.')).toBeVisible();

  await fill(PASSWORD);
  const dialog = page.getByRole('dialog', { name: /Your new API token/ });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('This is the only time the token is shown');
  const token = (await dialog.locator('code.token-text').innerText()).trim();
  expect(token).toMatch(/^wdn_[0-9A-Za-z]{36}$/);
  // Copy puts it on the clipboard.
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await expect(dialog.getByRole('status')).toHaveText('Copied.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // After closing, only the prefix is listed, and the page holds the token nowhere.
  const list = page.getByRole('list', { name: 'Your API tokens' });
  await expect(list.getByText(`wdn_${token.slice(4, 12)}…`)).toBeVisible();
  await expect(list.getByText('Never used')).toBeVisible();
  expect(await page.content()).not.toContain(token.slice(4));
  await page.reload();
  await hydrated(page);
  expect(await page.content()).not.toContain(token.slice(4));

  // The token opens the API; its use shows on the tab, in the chart.
  const auth = { Authorization: `Bearer ${token}` };
  const account = await request.get('/api/v1/account', { headers: auth });
  expect(account.status(), await account.text()).toBe(200);
  await page.reload();
  await hydrated(page);
  await expect(list.getByText('Never used')).toHaveCount(0);
  await expect(list.getByRole('img', { name: /1 request in the last 30 days/ })).toBeVisible();
  // The account's quota, and how much of it recent requests hold (each
  // request's share comes back a second later, as the API's headers say).
  for (let i = 0; i < 20; i++) {
    expect((await request.get('/api/v1/account', { headers: auth })).status()).toBe(200);
  }
  await page.reload();
  await hydrated(page);
  const used = Number((await page.locator('#quota-used').innerText()).match(/^Used: (\d+) of 60\.$/)?.[1]);
  expect(used).toBeGreaterThan(0);
  expect(used).toBeLessThanOrEqual(21);
  // The network it was used from, on its row.
  await expect(list.getByRole('list', { name: 'Networks CI deploy was used from' }).getByText('127.0.0.1')).toBeVisible();

  // Regenerate: a new secret under the same name, the old one kept for a day.
  await list.getByRole('button', { name: 'Regenerate CI deploy' }).click();
  await expect(page).toHaveURL(/\?regenerate=\d+$/);
  await hydrated(page);
  const renew = page.getByRole('region', { name: /Regenerate “CI deploy”/ });
  await expect(renew).toBeVisible();
  await renew.getByLabel('For 24 hours').check();
  await renew.getByLabel('Username').fill(user);
  await renew.getByLabel('Password').fill(PASSWORD);
  await renew.getByRole('button', { name: 'Regenerate token' }).click();
  const renewed = page.getByRole('dialog', { name: 'The new secret of your API token “CI deploy”' });
  await expect(renewed).toBeVisible();
  await expect(renewed).toContainText('This is the only time the token is shown');
  await expect(renewed).toContainText('The old secret keeps working until');
  const secret = (await renewed.locator('code.token-text').innerText()).trim();
  expect(secret).toMatch(/^wdn_[0-9A-Za-z]{36}$/);
  expect(secret).not.toBe(token);
  await renewed.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(list.getByText(`wdn_${secret.slice(4, 12)}…`)).toBeVisible();
  await expect(list.getByRole('note')).toContainText(`Old secret wdn_${token.slice(4, 12)}… works until`);
  expect(await page.content()).not.toContain(secret.slice(4));
  // Both secrets open the API during the overlap.
  for (const t of [token, secret]) {
    const r = await request.get('/api/v1/account', { headers: { Authorization: `Bearer ${t}` } });
    expect(r.status(), await r.text()).toBe(200);
  }

  // Delete asks first; Cancel keeps it.
  await list.getByRole('button', { name: 'Delete CI deploy' }).click();
  const confirm = page.getByRole('dialog', { name: /Delete the token “CI deploy”\?/ });
  await expect(confirm).toBeVisible();
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(list.getByText('CI deploy')).toBeVisible();
  await list.getByRole('button', { name: 'Delete CI deploy' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete token' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The token was deleted' })).toBeVisible();
  await expect(page.getByText('You have no API tokens yet.')).toBeVisible();

  // The very next request with either secret is refused.
  const refused = await request.get('/api/v1/account', { headers: auth });
  expect(refused.status()).toBe(401);
  const refusedNew = await request.get('/api/v1/account', { headers: { Authorization: `Bearer ${secret}` } });
  expect(refusedNew.status()).toBe(401);
});

test('the API reference renders the served OpenAPI document, under its CSP', async ({ page }) => {
  const refused: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') refused.push(m.text());
  });
  await page.goto('/api/v1/docs');
  await expect(page).toHaveURL(/\/api\/v1\/docs\/$/);
  // Swagger UI fetched /api/v1/openapi.json and drew its operations.
  await expect(page.getByRole('heading', { name: /Warden/ }).first()).toBeVisible();
  await expect(page.locator('.opblock-summary-path', { hasText: '/account' }).first()).toBeVisible();
  await expect(page.locator('.opblock-summary-path', { hasText: '/calls/{id}' }).first()).toBeVisible();
  expect(refused.filter((t) => /Content Security Policy|Refused to/i.test(t))).toEqual([]);
});
