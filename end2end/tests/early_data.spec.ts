// A page's data travels with its code: moving to a page in the browser asks
// for the page's data while the page's WASM chunk is still on its way, not
// after it arrives. The first page of a visit asks for nothing more: its
// data came with the HTML.
import { test, expect, type Page, type Request } from '@playwright/test';
import { hydrated, signIn, signUp, uniqueName } from './helpers';

/** Holds every response for `pattern` until `release()`; `seen` lists them. */
async function hold(page: Page, pattern: RegExp) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const seen: string[] = [];
  await page.route(pattern, async (route) => {
    seen.push(new URL(route.request().url()).pathname);
    await released;
    await route.continue();
  });
  return { release, seen };
}

/** The server-function calls the page makes, by path. */
function calls(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r: Request) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/_fn/')) seen.push(path);
  });
  return seen;
}

const TABS: [string, RegExp, string[], (p: Page) => Promise<void>][] = [
  ['Password', /split___password_route_view/, ['/_fn/password_status'], async (p) => {
    await expect(p.getByLabel('Current password')).toBeVisible();
  }],
  ['Two-Factor Auth', /split___two_factor_route_view/, ['/_fn/two_factor_status', '/_fn/security_keys', '/_fn/step_up_status'], async (p) => {
    await expect(p.getByRole('switch', { name: 'Enable 2FA' })).toBeVisible();
  }],
  ['API Access Tokens', /split___api_tokens_route_view/, ['/_fn/api_tokens_status', '/_fn/step_up_status'], async (p) => {
    await expect(p.getByRole('button', { name: 'Create token' })).toBeVisible();
  }],
];

test('moving to a page asks for its data while its code is still loading', async ({ page }) => {
  const user = uniqueName('early');
  await signUp(page, user);
  await signIn(page, user);
  for (const [tab, chunk, wanted, drawn] of TABS) {
    await page.goto('/account/security/sessions');
    await hydrated(page);
    const asked = calls(page);
    const code = await hold(page, new RegExp(`/pkg/.*${chunk.source}.*\\.wasm$`));
    await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: tab, exact: true }).click();
    // The chunk is held back, and still every call of the page goes out.
    await expect.poll(() => code.seen.length, { message: `${tab}: its chunk is asked for` }).toBeGreaterThan(0);
    await expect
      .poll(() => wanted.filter((w) => !asked.includes(w)), { message: `${tab}: data asked for before its code arrived` })
      .toEqual([]);
    code.release();
    await drawn(page);
    // Each call once: the page used the early answers, it did not ask again.
    for (const w of wanted) expect(asked.filter((a) => a === w), `${tab}: ${w} asked once`).toHaveLength(1);
    await page.unrouteAll({ behavior: 'wait' });
  }
});

test('the first page of a visit asks for no data: it came with the HTML', async ({ page }) => {
  const user = uniqueName('first');
  await signUp(page, user);
  await signIn(page, user);
  await hydrated(page);
  // Nothing the last page still asks for counts.
  await page.goto('about:blank');
  const asked = calls(page);
  await page.goto('/account/security/api-tokens');
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Create token' })).toBeVisible();
  // Long enough for a stray call to have gone out.
  await page.waitForTimeout(500);
  expect(asked.filter((a) => a !== '/_fn/current_user')).toEqual([]);
});
