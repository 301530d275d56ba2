// Webhooks on Login Security as a person sets one up: the form (after
// "Confirm it's you"), the secret shown once, a test event that reaches a
// real receiver on this machine signed per Standard Webhooks, the delivery
// log, and Redeliver. The server runs with WARDEN_WEBHOOKS_ALLOW_PRIVATE=1
// (playwright.config.ts), so http://127.0.0.1 is an allowed target.
import { test, expect } from '@playwright/test';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PASSWORD, hydrated, signIn, signUp, uniqueName } from './helpers';

type Got = { headers: IncomingHttpHeaders; body: string };

/** A receiver on 127.0.0.1 that keeps every request and answers 200. */
async function receiver(): Promise<{ url: string; got: Got[]; close: () => void }> {
  const got: Got[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, close: () => server.close() };
}

/** Standard Webhooks verification, as a receiver would write it. */
function verified(secret: string, r: Got): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`;
  const expected = createHmac('sha256', key).update(signed).digest();
  return String(r.headers['webhook-signature'] ?? '')
    .split(' ')
    .map((s) => s.split(','))
    .some(([v, sig]) => v === 'v1' && sig !== undefined && Buffer.from(sig, 'base64').length === expected.length
      && timingSafeEqual(Buffer.from(sig, 'base64'), expected));
}

test('add a webhook, see its secret once, send a test event and redeliver it', async ({ page }) => {
  const rx = await receiver();
  try {
    const user = uniqueName('hook');
    await signUp(page, user);
    await signIn(page, user);
    // Login Security links to the webhooks page.
    await page.getByRole('link', { name: 'Manage webhooks' }).click();
    await expect(page).toHaveURL(/\/account\/security\/sessions\/webhooks$/);
    await hydrated(page);

    const panel = page.locator('section[aria-labelledby="webhooks-title"]');
    await expect(panel.getByText('No webhooks yet.')).toBeVisible();
    await panel.getByText('Add a webhook').click();
    const form = panel.getByRole('form', { name: 'Add a webhook' });
    await form.getByLabel('Endpoint address').fill(rx.url);
    await expect(form.getByLabel('Sign-ins')).toBeChecked();
    await form.getByLabel('PIN changes').uncheck();
    await form.getByLabel('Current password').fill('not the password');
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await expect(form.getByRole('alert')).toContainText('Your current password is not right');
    await expect(panel.getByText('No webhooks yet.')).toBeVisible();
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Add webhook' }).click();

    const shown = panel.getByRole('status').filter({ hasText: 'signing secret' });
    await expect(shown).toBeVisible();
    const secret = (await shown.locator('code').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{30,}$/);
    const item = panel.getByRole('list', { name: 'Webhooks' }).getByRole('listitem').filter({ hasText: rx.url }).first();
    await expect(item).toContainText('Active');
    await expect(item).not.toContainText('PIN changes');

    await item.getByRole('button', { name: 'Send a test event' }).click();
    await expect.poll(() => rx.got.length, { timeout: 15_000 }).toBe(1);
    const first = rx.got[0];
    expect(JSON.parse(first.body).type).toBe('webhook-test');
    expect(verified(secret, first)).toBe(true);
    expect(verified(`whsec_${Buffer.alloc(24).toString('base64')}`, first)).toBe(false);

    // The log says it was delivered; Redeliver sends the same message again.
    await expect(async () => {
      await page.reload();
      await hydrated(page);
      await expect(page.getByRole('list', { name: `Deliveries to ${rx.url}` })).toContainText('Delivered (200)', { timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    await page.getByRole('list', { name: `Deliveries to ${rx.url}` }).getByRole('button', { name: 'Redeliver' }).first().click();
    await expect.poll(() => rx.got.length, { timeout: 15_000 }).toBe(2);
    expect(rx.got[1].headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(verified(secret, rx.got[1])).toBe(true);

    // The secret is not on the page any more after a reload.
    await page.reload();
    await expect(page.getByText(secret)).toHaveCount(0);
  } finally {
    rx.close();
  }
});
